using Tunnel.Cluster.Queue;
using Tunnel.Messages;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// The pure half of a DomainQueue: events applied in order give the state (as on recovery), the
/// decision after an attempt gives the event, and a snapshot restores exactly what it saved.
/// States are written one message per line: "id attempts=N next=HH:mm removing? delay-notified? recipient=Status…".
/// </summary>
public sealed class DomainQueueStateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 5, 12, 0, 0, TimeSpan.Zero);
    private static readonly RetrySchedule Schedule = new(TimeSpan.FromMinutes(5), TimeSpan.FromHours(1));

    private static readonly QueueSettings Settings = new(Schedule, Lifetime: TimeSpan.FromDays(5), DelayWarningAfter: TimeSpan.FromHours(4),
        ConcurrencyPerDomain: 10, Shards: 10, SnapshotEvery: 100, PassivateAfter: TimeSpan.FromMinutes(2),
        EnqueueTimeout: TimeSpan.FromSeconds(10), AttemptTimeout: TimeSpan.FromMinutes(10), ReportingMta: "tunnel.example", MaxReturnedSize: 51200);
    private static readonly MessageId M1 = new("01HZZZZZZZ0000000001");
    private static readonly MessageId M2 = new("01HZZZZZZZ0000000002");
    private static readonly Mailbox A = new("a", "example.com");
    private static readonly Mailbox B = new("b", "example.com");
    private static readonly Mailbox C = new("c", "example.com");

    public static readonly Dictionary<string, (ITunnelMessage[] Events, string[] Expected)> Histories = new()
    {
        ["nothing happened"] = ([], []),
        ["enqueued"] =
            ([Enqueued(M1, A, B)], ["M1 attempts=0 next=12:00 a=Pending b=Pending"]),
        ["enqueued twice: the first one stands"] =
            ([Enqueued(M1, A, B), Enqueued(M1, C)], ["M1 attempts=0 next=12:00 a=Pending b=Pending"]),
        ["two messages"] =
            ([Enqueued(M1, A), Enqueued(M2, B)], ["M1 attempts=0 next=12:00 a=Pending", "M2 attempts=0 next=12:00 b=Pending"]),
        ["partly delivered, partly deferred"] =
            ([Enqueued(M1, A, B, C), Attempt(M1, At(1), next: At(6), Delivered(A), Deferred(B), Failed(C))],
             ["M1 attempts=1 next=12:06 a=Delivered b=Deferred c=Failed"]),
        ["the deferred rest delivered later: removing"] =
            ([Enqueued(M1, A, B), Attempt(M1, At(1), next: At(6), Delivered(A), Deferred(B)), Attempt(M1, At(6), next: null, Delivered(B))],
             ["M1 attempts=2 next=12:06 removing a=Delivered b=Delivered"]),
        ["every recipient failed at once: removing"] =
            ([Enqueued(M1, A, B), Attempt(M1, At(1), next: null, Failed(A), Failed(B))],
             ["M1 attempts=1 next=12:00 removing a=Failed b=Failed"]),
        ["an attempt covering some recipients leaves the others pending"] =
            ([Enqueued(M1, A, B), Attempt(M1, At(1), next: null, Delivered(A))],
             ["M1 attempts=1 next=12:00 a=Delivered b=Pending"]),
        ["deferred again and again"] =
            ([Enqueued(M1, A), Attempt(M1, At(1), next: At(6), Deferred(A)), Attempt(M1, At(6), next: At(16), Deferred(A))],
             ["M1 attempts=2 next=12:16 a=Deferred"]),
        ["an outcome for a recipient the message does not have is ignored"] =
            ([Enqueued(M1, A), Attempt(M1, At(1), next: At(6), Delivered(C), Deferred(A))], ["M1 attempts=1 next=12:06 a=Deferred"]),
        ["an attempt for an unknown message is ignored"] =
            ([Enqueued(M1, A), Attempt(M2, At(1), next: At(6), Delivered(A))], ["M1 attempts=0 next=12:00 a=Pending"]),
        ["cancelled"] =
            ([Enqueued(M1, A), Enqueued(M2, B), new MessageCancelled(M1)], ["M2 attempts=0 next=12:00 b=Pending"]),
        ["cancelling an unknown message is harmless"] =
            ([Enqueued(M1, A), new MessageCancelled(M2)], ["M1 attempts=0 next=12:00 a=Pending"]),
        ["removed after every recipient was final"] =
            ([Enqueued(M1, A), Attempt(M1, At(1), next: null, Delivered(A)), new MessageRemoved(M1)], []),
        ["removed twice"] =
            ([Enqueued(M1, A), Attempt(M1, At(1), next: null, Delivered(A)), new MessageRemoved(M1), new MessageRemoved(M1)], []),
        ["an id can come back after removal"] =
            ([Enqueued(M1, A), new MessageRemoved(M1), Enqueued(M1, B)], ["M1 attempts=0 next=12:00 b=Pending"]),
        ["a delay notice went out"] =
            ([Enqueued(M1, A), Attempt(M1, At(1), next: At(6), Deferred(A)), new DelayNotified(M1)],
             ["M1 attempts=1 next=12:06 delay-notified a=Deferred"]),
        ["a delay notice is not an attempt and outlives later attempts"] =
            ([Enqueued(M1, A, B), new DelayNotified(M1), Attempt(M1, At(1), next: At(6), Delivered(A), Deferred(B))],
             ["M1 attempts=1 next=12:06 delay-notified a=Delivered b=Deferred"]),
        ["a delay notice recorded twice is still one"] =
            ([Enqueued(M1, A), new DelayNotified(M1), new DelayNotified(M1)], ["M1 attempts=0 next=12:00 delay-notified a=Pending"]),
        ["a delay notice is about one message only"] =
            ([Enqueued(M1, A), Enqueued(M2, B), new DelayNotified(M2)],
             ["M1 attempts=0 next=12:00 a=Pending", "M2 attempts=0 next=12:00 delay-notified b=Pending"]),
        ["a delay notice for an unknown message is ignored"] =
            ([Enqueued(M1, A), new DelayNotified(M2)], ["M1 attempts=0 next=12:00 a=Pending"]),
        ["a message that comes back after removal has had no delay notice"] =
            ([Enqueued(M1, A), new DelayNotified(M1), new MessageRemoved(M1), Enqueued(M1, A)], ["M1 attempts=0 next=12:00 a=Pending"]),
    };

    public static TheoryData<string> HistoryNames => new(Histories.Keys);

    [Theory]
    [MemberData(nameof(HistoryNames))]
    public void Applying_events(string name)
    {
        var (events, expected) = Histories[name];
        var state = new DomainQueueState();

        foreach (var e in events) state.Apply(e);

        Assert.Equal(expected, Describe(state));
        Assert.Equal(expected.Length == 0, state.IsEmpty);
    }

    [Theory]
    [MemberData(nameof(HistoryNames))]
    public void A_snapshot_restores_the_same_state(string name)
    {
        var state = new DomainQueueState();
        foreach (var e in Histories[name].Events) state.Apply(e);

        var snapshot = state.ToSnapshot();
        var restored = DomainQueueState.From(snapshot);

        Assert.Equal(Describe(state), Describe(restored));
        Assert.Equivalent(snapshot, restored.ToSnapshot(), strict: true);
        foreach (var message in state.Messages)
        {
            var copy = restored.Find(message.Id)!;
            Assert.Equal(message.Envelope, copy.Envelope);
            Assert.Equal(message.Size, copy.Size);
            Assert.Equal(message.ReceivedAt, copy.ReceivedAt);
            Assert.Equal(message.Recipients, copy.Recipients);
            Assert.Equal(message.Outcomes, copy.Outcomes);
        }
    }

    [Fact]
    public void Recovery_from_a_snapshot_and_the_events_after_it_matches_full_replay()
    {
        ITunnelMessage[] events =
        [
            Enqueued(M1, A, B), Enqueued(M2, C),
            Attempt(M1, At(1), next: At(6), Delivered(A), Deferred(B)),
            Attempt(M2, At(2), next: At(7), Deferred(C)),
            new DelayNotified(M2),
            Attempt(M1, At(6), next: null, Failed(B)),
            new MessageRemoved(M1),
            Attempt(M2, At(7), next: null, Delivered(C)),
        ];
        for (var cut = 0; cut <= events.Length; cut++)
        {
            var full = new DomainQueueState();
            foreach (var e in events) full.Apply(e);
            var before = new DomainQueueState();
            foreach (var e in events[..cut]) before.Apply(e);

            var recovered = DomainQueueState.From(before.ToSnapshot());
            foreach (var e in events[cut..]) recovered.Apply(e);

            Assert.Equal(Describe(full), Describe(recovered));
        }
    }

    [Fact]
    public void A_snapshot_keeps_the_envelope()
    {
        var state = new DomainQueueState();
        state.Apply(new MessageEnqueued(M1, new Envelope(null, BodyType.EightBitMime, SmtpUtf8: true, EnvelopeId: "env-1", Return: DsnReturn.Headers),
            [new Recipient(A, DsnNotify.Failure | DsnNotify.Delay, "rfc822;a@example.com")], 1234, T0.ToOffset(TimeSpan.FromHours(-5))));
        state.Apply(new MessageEnqueued(M2, new Envelope(new Mailbox("\"odd sender\"", "sender.example"), BodyType.SevenBit), [new Recipient(B)], 1, T0));

        var restored = DomainQueueState.From(state.ToSnapshot());

        var m1 = restored.Find(M1)!;
        Assert.Equal(new Envelope(null, BodyType.EightBitMime, true, "env-1", DsnReturn.Headers), m1.Envelope);
        Assert.Equal([new Recipient(A, DsnNotify.Failure | DsnNotify.Delay, "rfc822;a@example.com")], m1.Recipients);
        Assert.Equal(1234, m1.Size);
        Assert.Equal(TimeSpan.FromHours(-5), m1.ReceivedAt.Offset);
        var m2 = restored.Find(M2)!;
        Assert.Equal(new Mailbox("\"odd sender\"", "sender.example"), m2.Envelope.Sender);
        Assert.Equal(BodyType.SevenBit, m2.Envelope.Body);
    }

    [Fact]
    public void A_restored_state_does_not_share_lists_with_its_snapshot()
    {
        var state = new DomainQueueState();
        state.Apply(Enqueued(M1, A));
        var snapshot = state.ToSnapshot();
        var restored = DomainQueueState.From(snapshot);

        restored.Apply(Attempt(M1, At(1), next: null, Delivered(A)));

        Assert.Equal(RecipientStatus.Pending, Assert.Single(Assert.Single(snapshot.Messages).Outcomes).Status);
        Assert.Equal(["M1 attempts=0 next=12:00 a=Pending"], Describe(state));
    }

    /// <summary>The event an attempt's outcomes produce: the next try only while some recipient is not final.</summary>
    [Theory]
    [InlineData(0, "a=Delivered b=Delivered", null)]
    [InlineData(0, "a=Failed b=Delivered", null)]
    [InlineData(0, "a=Delivered b=Deferred", 5)]
    [InlineData(0, "a=Deferred b=Deferred", 5)]
    [InlineData(1, "a=Deferred b=Deferred", 10)]
    [InlineData(2, "a=Deferred b=Failed", 20)]
    [InlineData(3, "a=Deferred b=Deferred", 40)]
    [InlineData(4, "a=Deferred b=Deferred", 60)]
    [InlineData(20, "a=Deferred b=Deferred", 60)]
    // An attempt that covered only some recipients: the others still need a try.
    [InlineData(0, "a=Delivered", 5)]
    [InlineData(1, "b=Failed", 10)]
    public void Attempted(int attemptsBefore, string outcomes, int? nextInMinutes)
    {
        var state = new DomainQueueState();
        state.Apply(Enqueued(M1, A, B));
        for (var i = 0; i < attemptsBefore; i++) state.Apply(Attempt(M1, At(i), next: At(i + 1), Deferred(A), Deferred(B)));
        var message = state.Find(M1)!;
        var now = T0.AddHours(3);
        var results = outcomes.Split(' ').Select(o => o.Split('=')).Select(o => new RecipientOutcome(
            new Mailbox(o[0], "example.com"), Enum.Parse<RecipientStatus>(o[1]), "x.0.0", "detail", null)).ToList();

        var attempted = DomainQueueMachine.Attempted(message, results, now, Settings);

        Assert.Equal(M1, attempted.Id);
        Assert.Equal(now, attempted.At);
        Assert.Equal(results, attempted.Outcomes);
        Assert.Equal(nextInMinutes is { } minutes ? now.AddMinutes(minutes) : null, attempted.NextAttemptAt);
    }

    [Fact]
    public void Attempted_then_applied_reaches_removing_exactly_when_every_recipient_is_final()
    {
        var state = new DomainQueueState();
        state.Apply(Enqueued(M1, A, B));

        state.Apply(DomainQueueMachine.Attempted(state.Find(M1)!, [Delivered(A), Deferred(B)], At(1), Settings));
        Assert.False(state.Find(M1)!.Removing);
        Assert.Equal([new Recipient(B)], state.Find(M1)!.PendingRecipients);
        Assert.Equal(At(6), state.Find(M1)!.NextAttemptAt);

        state.Apply(DomainQueueMachine.Attempted(state.Find(M1)!, [Failed(B)], At(6), Settings));
        Assert.True(state.Find(M1)!.Removing);
        Assert.Empty(state.Find(M1)!.PendingRecipients);
    }

    [Fact]
    public void Anything_but_a_queue_event_is_refused()
    {
        var state = new DomainQueueState();

        Assert.Throws<ArgumentException>(() => state.Apply(new NewMail("example.com", M1, new Envelope(null), [], 1, T0)));
        Assert.Throws<ArgumentException>(() => state.Apply(new DomainQueueSnapshot([])));
    }

    /// <summary>
    /// An attempt that ends when the message is older than its lifetime (5 d here): what was still
    /// deferred fails with 4.4.7 (RFC 3463 §3.5) and keeps the last error, so the sender learns
    /// why; final outcomes stay. The message arrived at T0; outcomes are "recipient status dsn detail [relay]".
    /// </summary>
    public static readonly Dictionary<string, (TimeSpan Age, Mailbox[] Recipients, RecipientOutcome[] Outcomes, string[] Expected, bool Next)> Expiries = new()
    {
        ["deferred a tick before the lifetime ends: still deferred"] =
            (TimeSpan.FromDays(5) - TimeSpan.FromTicks(1), [A], [Deferred(A)], ["a Deferred 4.4.1 connection refused"], true),
        ["deferred as the lifetime ends: failed with the last error"] =
            (TimeSpan.FromDays(5), [A], [Deferred(A)], ["a Failed 4.4.7 delivery time expired after 5d; last error: connection refused"], false),
        ["deferred a day after the lifetime ended"] =
            (TimeSpan.FromDays(6), [A], [Deferred(A)], ["a Failed 4.4.7 delivery time expired after 5d; last error: connection refused"], false),
        ["the server that gave the last error stays named"] =
            (TimeSpan.FromDays(5), [A], [Deferred(A) with { Dsn = "4.2.2", Detail = "452 4.2.2 mailbox full", Relay = "mx[192.0.2.1]:25" }],
             ["a Failed 4.4.7 delivery time expired after 5d; last error: 452 4.2.2 mailbox full [mx[192.0.2.1]:25]"], false),
        ["a deferral without detail says only that time ran out"] =
            (TimeSpan.FromDays(5), [A], [Deferred(A) with { Detail = "" }], ["a Failed 4.4.7 delivery time expired after 5d"], false),
        ["delivered and failed outcomes of the same attempt stay as they are"] =
            (TimeSpan.FromDays(5), [A, B, C], [Delivered(A), Failed(B), Deferred(C)],
             ["a Delivered 2.0.0 250 ok [mx[192.0.2.1]:25]", "b Failed 5.1.1 550 no such user [mx[192.0.2.1]:25]",
              "c Failed 4.4.7 delivery time expired after 5d; last error: connection refused"], false),
        ["everything final: nothing to expire"] =
            (TimeSpan.FromDays(5), [A, B], [Delivered(A), Failed(B)],
             ["a Delivered 2.0.0 250 ok [mx[192.0.2.1]:25]", "b Failed 5.1.1 550 no such user [mx[192.0.2.1]:25]"], false),
        // The recipient the attempt did not cover is still waiting; its own attempt expires it.
        ["a recipient the attempt did not cover keeps a next attempt"] =
            (TimeSpan.FromDays(5), [A, B], [Deferred(A)], ["a Failed 4.4.7 delivery time expired after 5d; last error: connection refused"], true),
    };

    public static TheoryData<string> ExpiryNames => new(Expiries.Keys);

    [Theory]
    [MemberData(nameof(ExpiryNames))]
    public void Attempted_past_the_lifetime(string name)
    {
        var (age, recipients, outcomes, expected, next) = Expiries[name];
        var state = new DomainQueueState();
        state.Apply(Enqueued(M1, recipients));
        var now = T0 + age;

        var attempted = DomainQueueMachine.Attempted(state.Find(M1)!, outcomes, now, Settings);

        Assert.Equal(expected, attempted.Outcomes.Select(Describe).ToArray());
        Assert.Equal(next ? now.AddMinutes(5) : null, attempted.NextAttemptAt);
        Assert.Equal(now, attempted.At);
    }

    [Fact]
    public void An_expiry_after_earlier_attempts_keeps_the_latest_error()
    {
        var state = new DomainQueueState();
        state.Apply(Enqueued(M1, A));
        state.Apply(Attempt(M1, At(1), next: At(6), Deferred(A) with { Detail = "first error" }));
        var now = T0.AddDays(5);

        var attempted = DomainQueueMachine.Attempted(state.Find(M1)!, [Deferred(A) with { Detail = "latest error" }], now, Settings);
        state.Apply(attempted);

        Assert.Equal(["a Failed 4.4.7 delivery time expired after 5d; last error: latest error"], attempted.Outcomes.Select(Describe).ToArray());
        Assert.True(state.Find(M1)!.Removing);
    }

    [Theory]
    [InlineData(1, "delivery time expired after 1d; last error: connection refused")]
    [InlineData(7, "delivery time expired after 7d; last error: connection refused")]
    public void The_lifetime_is_named_in_days(int days, string expected)
    {
        var settings = Settings with { Lifetime = TimeSpan.FromDays(days) };
        var state = new DomainQueueState();
        state.Apply(Enqueued(M1, A));

        var attempted = DomainQueueMachine.Attempted(state.Find(M1)!, [Deferred(A)], T0.AddDays(days), settings);

        Assert.Equal(expected, Assert.Single(attempted.Outcomes).Detail);
    }

    /// <summary>The random draw reaches the schedule's jitter: 5 min ± 20 %.</summary>
    [Theory]
    [InlineData(0, 240)]
    [InlineData(0.5, 300)]
    [InlineData(0.75, 330)]
    public void Attempted_passes_the_draw_to_the_schedule(double random, int expectedSeconds)
    {
        var settings = Settings with { Retry = Schedule with { Jitter = 0.2 } };
        var state = new DomainQueueState();
        state.Apply(Enqueued(M1, A));
        var now = T0.AddMinutes(1);

        var attempted = DomainQueueMachine.Attempted(state.Find(M1)!, [Deferred(A)], now, settings, random);

        Assert.Equal(now.AddSeconds(expectedSeconds), attempted.NextAttemptAt);
    }

    [Fact]
    public void A_delay_notice_is_remembered_through_a_snapshot()
    {
        var state = new DomainQueueState();
        state.Apply(Enqueued(M1, A));
        state.Apply(Enqueued(M2, B));
        Assert.False(state.Find(M1)!.DelayNotified);
        state.Apply(new DelayNotified(M1));

        var snapshot = state.ToSnapshot();
        var restored = DomainQueueState.From(snapshot);

        Assert.True(snapshot.Messages.Single(m => m.Id == M1).DelayNotified);
        Assert.False(snapshot.Messages.Single(m => m.Id == M2).DelayNotified);
        Assert.True(restored.Find(M1)!.DelayNotified);
        Assert.False(restored.Find(M2)!.DelayNotified);
    }

    private static string Describe(RecipientOutcome o) =>
        $"{o.Recipient.LocalPart} {o.Status} {o.Dsn} {o.Detail}" + (o.Relay is null ? "" : $" [{o.Relay}]");

    private static DateTimeOffset At(int minutes) => T0.AddMinutes(minutes);

    private static MessageEnqueued Enqueued(MessageId id, params Mailbox[] recipients) =>
        new(id, new Envelope(new Mailbox("sender", "sender.example")), recipients.Select(r => new Recipient(r)).ToList(), 100, T0);

    private static DeliveryAttempted Attempt(MessageId id, DateTimeOffset at, DateTimeOffset? next, params RecipientOutcome[] outcomes) =>
        new(id, at, outcomes, next);

    private static RecipientOutcome Delivered(Mailbox r) => new(r, RecipientStatus.Delivered, "2.0.0", "250 ok", "mx[192.0.2.1]:25");
    private static RecipientOutcome Deferred(Mailbox r) => new(r, RecipientStatus.Deferred, "4.4.1", "connection refused", null);
    private static RecipientOutcome Failed(Mailbox r) => new(r, RecipientStatus.Failed, "5.1.1", "550 no such user", "mx[192.0.2.1]:25");

    private static string[] Describe(DomainQueueState state) => state.Messages
        .OrderBy(m => m.Id.Value)
        .Select(m => string.Join(' ', new[]
            {
                m.Id == M1 ? "M1" : m.Id == M2 ? "M2" : m.Id.Value,
                $"attempts={m.Attempts}",
                $"next={m.NextAttemptAt:HH:mm}",
            }
            .Concat(m.Removing ? ["removing"] : [])
            .Concat(m.DelayNotified ? ["delay-notified"] : [])
            .Concat(m.Outcomes.Select(r => $"{r.Recipient.LocalPart}={r.Status}"))))
        .ToArray();
}
