using System.Text;
using Akka.Actor;
using Tunnel.Messages;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;
using Tunnel.Messages.Serialization;
using Xunit;
using Envelope = Tunnel.Messages.Mail.Envelope;

namespace Tunnel.Tests.Unit;

/// <summary>
/// Journals outlive versions: events and snapshots written by an earlier Tunnel must load in this
/// one. tests/Fixtures/Events holds one payload per persisted manifest as written on 2026-11-29
/// (file name = manifest). They are never regenerated: a change that breaks one needs a new
/// manifest and a migration, not a new fixture. A new persisted manifest gets its fixture by
/// running the tests once with TUNNEL_WRITE_FIXTURES=1, which only adds missing files.
/// </summary>
public sealed class PersistedEventFixtures : IDisposable
{
    private static readonly string Directory = Path.Combine(RepositoryRoot(), "tests", "Fixtures", "Events");
    private readonly ActorSystem _system = ActorSystem.Create("fixtures");
    private readonly TunnelSerializer _serializer;

    public PersistedEventFixtures() => _serializer = new TunnelSerializer((ExtendedActorSystem)_system);

    /// <summary>Every manifest the journal or snapshot store can hold.</summary>
    public static TheoryData<string> PersistedManifests => new(Persisted);

    private static IEnumerable<string> Persisted =>
        TunnelSerializer.Manifests.Select(m => m.Manifest).Where(m => m.StartsWith("q.e.") || m.StartsWith("q.s."));

    [Theory]
    [MemberData(nameof(PersistedManifests))]
    public void An_old_payload_still_loads(string manifest)
    {
        var file = Path.Combine(Directory, manifest + ".json");
        Assert.True(File.Exists(file), $"no fixture for {manifest}: add one (run Write_todays_fixtures) before shipping it");

        var loaded = (ITunnelMessage)_serializer.FromBinary(File.ReadAllBytes(file), manifest);

        Assert.Equal(Sample(manifest), loaded, new StructuralEquality());
    }

    [Fact]
    public void Every_persisted_manifest_has_a_fixture()
    {
        var missing = Persisted.Where(m => !File.Exists(Path.Combine(Directory, m + ".json"))).ToList();
        if (Environment.GetEnvironmentVariable("TUNNEL_WRITE_FIXTURES") == "1")
        {
            System.IO.Directory.CreateDirectory(Directory);
            foreach (var manifest in missing) File.WriteAllBytes(Path.Combine(Directory, manifest + ".json"), _serializer.ToBinary(Sample(manifest)));
            missing.Clear();
        }
        Assert.True(missing.Count == 0, $"no fixture for {string.Join(", ", missing)}: run the tests once with TUNNEL_WRITE_FIXTURES=1 and commit the files");
    }

    private static readonly MessageId Id = new("01M8MH012T2N2Q25QK1Q");
    private static readonly DateTimeOffset When = new(2026, 11, 29, 20, 47, 25, 288, TimeSpan.Zero);
    private static readonly Mailbox Sender = new("sender", "ip4only.example");
    private static readonly Envelope FullEnvelope = new(Sender, BodyType.EightBitMime, SmtpUtf8: true, EnvelopeId: "QQ314159", Return: DsnReturn.Headers);
    private static readonly Recipient[] Recipients =
    [
        new(new Mailbox("user", "example.com"), DsnNotify.Failure | DsnNotify.Delay, "rfc822;user@example.com"),
        new(new Mailbox("\"odd user\"", "example.com")),
    ];
    private static readonly RecipientOutcome[] Outcomes =
    [
        new(Recipients[0].Address, RecipientStatus.Delivered, "2.0.0", "250 2.0.0 Ok", "mx1.example.com[2001:db8:ffff::2:1]:25", RelayedWithoutDsn: true),
        new(Recipients[1].Address, RecipientStatus.Deferred, "4.2.0", "451 4.2.0 try later", "mx1.example.com[2001:db8:ffff::2:1]:25"),
    ];

    /// <summary>What each fixture must load as.</summary>
    private static ITunnelMessage Sample(string manifest) => manifest switch
    {
        "q.e.enqueued" => new MessageEnqueued(Id, FullEnvelope, Recipients, 1234, When),
        "q.e.attempted" => new DeliveryAttempted(Id, When.AddMinutes(1), Outcomes, When.AddMinutes(6)),
        "q.e.cancelled" => new MessageCancelled(Id),
        "q.e.removed" => new MessageRemoved(Id),
        "q.e.delay-notified" => new DelayNotified(Id),
        "q.e.deleted" => new MessageDeleted(Id, When.AddMinutes(2), Bounce: true),
        "q.e.retry" => new RetryRequested(Id, When.AddMinutes(3)),
        "q.e.dropped" => new MessageDropped(Id, "its reference in the spool is gone"),
        "q.e.notices-sent" => new NoticesSent(Id),
        "q.s.domain" => new DomainQueueSnapshot([new QueuedMessageSnapshot(Id, FullEnvelope, Recipients, Outcomes, 1234, When, 1, When.AddMinutes(6), false, true)]),
        _ => throw new ArgumentException($"no sample for persisted manifest {manifest}: add one here and its fixture"),
    };

    /// <summary>Records with lists compare by content: serialize both with System.Text.Json and compare the text.</summary>
    private sealed class StructuralEquality : IEqualityComparer<ITunnelMessage>
    {
        public bool Equals(ITunnelMessage? x, ITunnelMessage? y) =>
            x?.GetType() == y?.GetType() && Describe(x) == Describe(y);

        public int GetHashCode(ITunnelMessage obj) => obj.GetType().GetHashCode();

        private static string Describe(object? o) => o is null ? "null" : System.Text.Json.JsonSerializer.Serialize(o, o.GetType(),
            new System.Text.Json.JsonSerializerOptions { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } });
    }

    public void Dispose() => _system.Dispose();

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Tunnel.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("Tunnel.sln not found");
    }
}
