using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Tunnel.Messages;
using Tunnel.Messages.Admin;
using Tunnel.Messages.Mail;
using Envelope = Tunnel.Messages.Mail.Envelope;
using Tunnel.Messages.Queue;
using Tunnel.Messages.Serialization;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// The one wire and disk format: every manifest round-trips a fully populated value, unknown
/// manifests are refused, and no CLR type name reaches a payload or a manifest.
/// </summary>
public sealed class TunnelSerializerTests : IDisposable
{
    private static readonly MessageId Id = new("01J0ABCDEFGHJKMNPQRS");
    private static readonly DateTimeOffset When = new(2026, 3, 5, 12, 34, 56, 789, TimeSpan.FromHours(2));
    private static readonly Mailbox Sender = new("\"odd@sender\"", "sender.example");
    private static readonly Mailbox[] Recipients = [new("u1", "ours.example"), new("U2", "xn--bcher-kva.example")];

    private static readonly RecipientOutcome[] Outcomes =
    [
        new(Recipients[0], RecipientStatus.Delivered, "2.0.0", "250 2.0.0 Ok: queued as X", "mx1.ours.example[2001:db8::25]:25"),
        new(Recipients[1], RecipientStatus.Deferred, "4.4.1", "connection refused", null),
    ];

    private static readonly Envelope FullEnvelope =
        new(Sender, BodyType.EightBitMime, SmtpUtf8: true, EnvelopeId: "QQ314159", Return: DsnReturn.Full);

    private static readonly Recipient[] QueuedRecipients =
    [
        new(Recipients[0], DsnNotify.Success | DsnNotify.Failure, "rfc822;u1@ours.example"),
        new(Recipients[1]),
    ];

    /// <summary>One fully populated sample per serialized type; a new manifest needs a sample here.</summary>
    private static readonly Dictionary<Type, ITunnelMessage[]> Samples = new()
    {
        [typeof(NewMail)] =
        [
            new NewMail("ours.example", Id, FullEnvelope, QueuedRecipients, 123_456_789_012, When),
            new NewMail("ours.example", Id, new Envelope(null), [new Recipient(Recipients[0])], 0, When.ToUniversalTime()),
        ],
        [typeof(MessageEnqueued)] =
        [
            new MessageEnqueued(Id, FullEnvelope, QueuedRecipients, 42, When),
            new MessageEnqueued(Id, new Envelope(null), QueuedRecipients, 42, When),
        ],
        [typeof(DeliveryAttempted)] =
        [
            new DeliveryAttempted(Id, When, Outcomes, When.AddMinutes(5)),
            new DeliveryAttempted(Id, When, [Outcomes[0] with { Status = RecipientStatus.Failed, Dsn = "5.1.1" }], null),
            new DeliveryAttempted(Id, When, [Outcomes[0] with { RelayedWithoutDsn = true }], null),
        ],
        [typeof(MessageCancelled)] = [new MessageCancelled(Id)],
        [typeof(MessageDropped)] = [new MessageDropped(Id, "its reference in the spool is gone")],
        [typeof(NoticesSent)] = [new NoticesSent(Id)],
        [typeof(RetryRequested)] = [new RetryRequested(Id, When), new RetryRequested(null, When)],
        [typeof(MessageRemoved)] = [new MessageRemoved(Id)],
        [typeof(DelayNotified)] = [new DelayNotified(Id)],
        [typeof(MessageDeleted)] = [new MessageDeleted(Id, When, Bounce: true), new MessageDeleted(Id, When, Bounce: false)],
        [typeof(InspectQueue)] = [new InspectQueue("ours.example"), new InspectQueue("ours.example", Id)],
        [typeof(QueueInspected)] =
        [
            new QueueInspected("ours.example", null, []),
            new QueueInspected("ours.example", When.AddMinutes(10),
            [
                new QueuedMessageView(Id, FullEnvelope, QueuedRecipients, Outcomes, 99, When, 2, When.AddMinutes(5),
                    [new AttemptRecord(When, Outcomes), new AttemptRecord(When.AddMinutes(1), [Outcomes[1]])]),
                new QueuedMessageView(Id, new Envelope(null), [new Recipient(Recipients[0])],
                    [new RecipientOutcome(Recipients[0], RecipientStatus.Pending, "", "", null)], 1, When, 0, null, []),
            ]),
        ],
        [typeof(RetryNow)] = [new RetryNow("ours.example"), new RetryNow("ours.example", Id)],
        [typeof(RetryScheduled)] = [new RetryScheduled("ours.example", 3)],
        [typeof(DeleteMessage)] = [new DeleteMessage("ours.example", Id, Bounce: true)],
        [typeof(DeleteAccepted)] = [new DeleteAccepted("ours.example", Id, Found: false)],
        [typeof(AdoptDestinationState)] =
            [new AdoptDestinationState("hot.example#2", When.AddMinutes(5), ReportedBy: 0), new AdoptDestinationState("hot.example", null, ReportedBy: 1)],
        [typeof(DomainQueueSnapshot)] =
        [
            new DomainQueueSnapshot([]),
            new DomainQueueSnapshot(
            [
                new QueuedMessageSnapshot(Id, FullEnvelope, QueuedRecipients, Outcomes, 99, When, 3, When.AddHours(1), Removing: false, DelayNotified: true),
                new QueuedMessageSnapshot(new MessageId("01J0ABCDEFGHJKMNPQRT"), new Envelope(null), [new Recipient(Recipients[0])],
                    [new RecipientOutcome(Recipients[0], RecipientStatus.Pending, "", "", null)], 1, When, 0, When, Removing: true, NoticesSent: true),
                new QueuedMessageSnapshot(new MessageId("01J0ABCDEFGHJKMNPQRV"), FullEnvelope, QueuedRecipients, Outcomes, 5, When, 1, When,
                    Removing: true, History: [new AttemptRecord(When, Outcomes)], Silent: true),
            ]),
        ],
    };

    private readonly ActorSystem _system = ActorSystem.Create("t");
    private readonly TunnelSerializer _serializer;

    public TunnelSerializerTests() => _serializer = new TunnelSerializer((ExtendedActorSystem)_system);

    public void Dispose() => _system.Dispose();

    public static TheoryData<string> ManifestNames => new(TunnelSerializer.Manifests.Select(m => m.Manifest));

    [Theory]
    [MemberData(nameof(ManifestNames))]
    public void Round_trips(string manifest)
    {
        var type = TunnelSerializer.Manifests.Single(m => m.Manifest == manifest).Type;
        Assert.True(Samples.TryGetValue(type, out var samples), $"no sample for {type.Name}: add one");

        foreach (var sample in samples)
        {
            Assert.Equal(manifest, _serializer.Manifest(sample));
            var bytes = _serializer.ToBinary(sample);

            var back = _serializer.FromBinary(bytes, manifest);

            Assert.IsType(type, back);
            Assert.Equivalent(sample, back, strict: true);
            // Byte-equal on the way out again: catches what equivalence forgives (an offset, say).
            Assert.Equal(Encoding.UTF8.GetString(bytes), Encoding.UTF8.GetString(_serializer.ToBinary(back)));
        }
    }

    [Fact]
    public void Offsets_and_milliseconds_survive()
    {
        var back = (MessageEnqueued)_serializer.FromBinary(_serializer.ToBinary(Samples[typeof(MessageEnqueued)][0]), "q.e.enqueued");

        Assert.Equal(When, back.ReceivedAt);
        Assert.Equal(TimeSpan.FromHours(2), back.ReceivedAt.Offset);
        Assert.Equal(789, back.ReceivedAt.Millisecond);
    }

    [Fact]
    public void Every_message_type_has_a_manifest()
    {
        var types = typeof(ITunnelMessage).Assembly.GetTypes()
            .Where(t => typeof(ITunnelMessage).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false });

        Assert.All(types, t => Assert.Contains(TunnelSerializer.Manifests, m => m.Type == t));
    }

    [Fact]
    public void Manifests_are_unique_short_and_stable()
    {
        Assert.Equal(TunnelSerializer.Manifests.Count, TunnelSerializer.Manifests.Select(m => m.Manifest).Distinct().Count());
        Assert.Equal(TunnelSerializer.Manifests.Count, TunnelSerializer.Manifests.Select(m => m.Type).Distinct().Count());
        // Manifests are forever: these strings are in journals already, and a retired one is never reused.
        Assert.Equal(
            ["q.new-mail", "q.e.enqueued", "q.e.attempted", "q.e.cancelled", "q.e.removed", "q.s.domain",
             "q.e.delay-notified", "q.e.deleted", "a.inspect", "a.inspected", "a.retry", "a.retry-scheduled", "a.delete", "a.delete-accepted",
             "q.e.retry", "q.e.dropped", "q.e.notices-sent", "q.adopt-destination"],
            TunnelSerializer.Manifests.Select(m => m.Manifest));
        Assert.Equal(["q.enqueue", "q.enqueue-accepted", "q.cancel", "q.body-stored"], TunnelSerializer.Retired);
        Assert.Empty(TunnelSerializer.Retired.Intersect(TunnelSerializer.Manifests.Select(m => m.Manifest)));
        Assert.Equal(4711, _serializer.Identifier);
        Assert.True(_serializer.IncludeManifest);
    }

    [Fact]
    public void No_CLR_type_name_in_any_manifest_or_payload()
    {
        string[] names = [.. TunnelSerializer.Manifests.Select(m => m.Type.Name),
            nameof(Mailbox), nameof(MessageId), nameof(RecipientOutcome), nameof(QueuedMessageSnapshot), nameof(BodyType), nameof(RecipientStatus)];
        string[] forbidden = ["Tunnel.", "System.", "$type", "$id", "Version=", "PublicKeyToken"];
        foreach (var sample in Samples.Values.SelectMany(s => s))
        {
            var manifest = _serializer.Manifest(sample);
            var payload = Encoding.UTF8.GetString(_serializer.ToBinary(sample));

            foreach (var text in new[] { manifest, payload })
            {
                Assert.All(names, name => Assert.DoesNotContain(name, text, StringComparison.Ordinal));
                Assert.All(forbidden, word => Assert.DoesNotContain(word, text, StringComparison.OrdinalIgnoreCase));
            }
        }
    }

    [Fact]
    public void A_snapshot_written_before_attempt_history_still_loads()
    {
        // What issue 5's build wrote: no "history", no "silent".
        var old = """
            {"messages":[{"id":"01J0ABCDEFGHJKMNPQRS","envelope":{"sender":"a@b.example","body":"Unspecified","smtpUtf8":false,"return":"Unspecified"},
            "recipients":[{"address":"u1@ours.example","notify":"Unspecified"}],
            "outcomes":[{"recipient":"u1@ours.example","status":"Deferred","dsn":"4.4.1","detail":"connection refused","relayedWithoutDsn":false}],
            "size":42,"receivedAt":"2026-03-05T12:34:56.789+02:00","attempts":1,"nextAttemptAt":"2026-03-05T12:39:56.789+02:00",
            "removing":false,"delayNotified":false}]}
            """;

        var snapshot = (DomainQueueSnapshot)_serializer.FromBinary(Encoding.UTF8.GetBytes(old), "q.s.domain");

        var message = Assert.Single(snapshot.Messages);
        Assert.Null(message.History);
        Assert.False(message.Silent);
        Assert.Equal(1, message.Attempts);
    }

    [Fact]
    public void Payloads_are_readable_json()
    {
        var payload = Encoding.UTF8.GetString(_serializer.ToBinary(Samples[typeof(DeliveryAttempted)][0]));

        Assert.StartsWith("{", payload);
        Assert.Contains("\"id\":\"01J0ABCDEFGHJKMNPQRS\"", payload);
        Assert.Contains("\"recipient\":\"u1@ours.example\"", payload);
        Assert.Contains("\"status\":\"Delivered\"", payload);
    }

    [Theory]
    [InlineData("q.e.unknown")]
    [InlineData("")]
    [InlineData("Tunnel.Messages.Queue.MessageEnqueued, Tunnel.Messages")]
    [InlineData("Q.E.ENQUEUED")]
    public void An_unknown_manifest_is_refused(string manifest)
    {
        var bytes = _serializer.ToBinary(Samples[typeof(MessageEnqueued)][0]);

        Assert.Throws<SerializationException>(() => _serializer.FromBinary(bytes, manifest));
    }

    [Fact]
    public void A_null_payload_is_refused()
    {
        Assert.Throws<SerializationException>(() => _serializer.FromBinary("null"u8.ToArray(), "q.e.removed"));
    }

    [Fact]
    public void A_type_without_a_manifest_cannot_be_written()
    {
        Assert.Throws<ArgumentException>(() => _serializer.Manifest("a string"));
        Assert.Throws<ArgumentException>(() => _serializer.ToBinary(new Mailbox("u", "ours.example")));
    }
}
