using System.Collections.Concurrent;
using System.Net;
using Akka.Actor;
using Akka.Configuration;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Tunnel.Cluster.Bounces;
using Tunnel.Cluster.Observability;
using Tunnel.Cluster.Outbound;
using Tunnel.Cluster.Queue;
using Tunnel.Cluster.Routing;
using Tunnel.Cluster.Spool;
using Tunnel.Messages.Admin;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;
using Tunnel.Tests.Testing;
using Xunit;
using Envelope = Tunnel.Messages.Mail.Envelope;

namespace Tunnel.Tests.Actors;

/// <summary>
/// One real DomainQueue actor (in-memory journal) over a real SQLite outbox, a real DNS server
/// and a real MX on ::1. The outbox's reference rows are the truth: a queue delivers what they
/// say it owes even when nobody told it (the notice was lost), and a notice about a message
/// that already left sends nothing.
/// </summary>
public sealed class DomainQueueAdoptsFromTheOutbox : Akka.TestKit.Xunit2.TestKit, IAsyncLifetime
{
    private const string Domain = "adopts.example";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly string _directory = Directory.CreateTempSubdirectory("tunnel-queue-").FullName;
    private readonly SpoolStore _spool;
    private readonly LineLogger _mailLog = new();
    private TestDnsServer _dns = null!;
    private SinkMx _sink = null!;

    public DomainQueueAdoptsFromTheOutbox() : base(ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """))
    {
        _spool = new SpoolStore(() => new SqliteConnection($"Data Source={Path.Combine(_directory, "spool.db")};Pooling=False"));
    }

    public async Task InitializeAsync()
    {
        await _spool.InitialiseAsync(CancellationToken.None);
        _dns = await TestDnsServer.StartAsync();
        _sink = SinkMx.Start(IPAddress.IPv6Loopback);
        _dns.Zone.Mx(Domain, 10, $"mx.{Domain}").Aaaa($"mx.{Domain}", "::1");
    }

    [Fact]
    public async Task A_queue_delivers_what_the_outbox_holds_for_it_though_nobody_told_it()
    {
        var first = await StoreAsync("first");
        var second = await StoreAsync("second");

        StartQueue(); // recovery scans the outbox

        await _sink.WaitForMessagesAsync(2, Bound);
        Assert.Equal(["first", "second"], _sink.Messages.Select(m => Subject(m.Text)).Order());
        await Eventually.Until(async () => await _spool.CountAsync(CancellationToken.None) == 0, Bound, "the bodies to be released");
        Assert.Contains(_mailLog.Lines, l => l.StartsWith($"{first}: queued for {Domain}"));
        // The line comes once the removal is journaled, just after the body's release: wait for it too.
        await Eventually.Until(() => _mailLog.Lines.Any(l => l.StartsWith($"{second}: removed from {Domain} queue")), Bound, "the removal's line");
    }

    [Fact]
    public async Task A_notice_about_a_message_that_already_left_sends_nothing()
    {
        var queue = StartQueue();
        var (id, mail) = await StoreWithNoticeAsync("once");
        queue.Tell(mail);
        await Eventually.Until(() => _mailLog.Lines.Any(l => l.StartsWith($"{id}: removed from {Domain} queue")), Bound, "the message to leave");

        queue.Tell(mail); // the same notice again, as a shard that buffered it would deliver it late

        await Eventually.Until(() => _mailLog.Lines.Any(l => l.StartsWith($"{id}: dropped from {Domain} queue")), Bound, "the late copy to be dropped");
        Assert.Single(_sink.Messages);
        Assert.Empty((await queue.Ask<QueueInspected>(new InspectQueue(Domain), Bound)).Messages);
    }

    [Fact]
    public async Task The_operator_sees_and_deletes_a_waiting_message()
    {
        await using var down = SinkMx.BindOnly(new IPEndPoint(IPAddress.Parse("127.0.0.5"), _sink.EndPoint.Port));
        _dns.Zone.Remove($"mx.{Domain}").A($"mx.{Domain}", "127.0.0.5");
        var queue = StartQueue();
        var (id, mail) = await StoreWithNoticeAsync("waiting");
        queue.Tell(mail);
        await Eventually.Until(() => _mailLog.Lines.Any(l => l.StartsWith($"{id}: to=<") && l.Contains("status=deferred")), Bound, "a deferral");

        var inspected = await queue.Ask<QueueInspected>(new InspectQueue(Domain), Bound);
        Assert.NotNull(inspected.DownUntil);
        Assert.Equal(id, Assert.Single(inspected.Messages).Id);

        Assert.True((await queue.Ask<DeleteAccepted>(new DeleteMessage(Domain, id, Bounce: false), Bound)).Found);
        await Eventually.Until(() => _mailLog.Lines.Any(l => l.StartsWith($"{id}: removed from {Domain} queue")), Bound, "the deleted message to leave");
        Assert.Contains(_mailLog.Lines, l => l.StartsWith($"{id}: to=<u@{Domain}>") && l.Contains("status=deleted"));
        Assert.Equal(0, await _spool.CountAsync(CancellationToken.None));
    }

    private IActorRef StartQueue()
    {
        var settings = new QueueSettings(new RetrySchedule(TimeSpan.FromHours(1), TimeSpan.FromHours(1)), TimeSpan.FromDays(5), null,
            ConcurrencyPerDomain: 1, Shards: 1, SnapshotEvery: 1000, PassivateAfter: TimeSpan.FromHours(1), EnqueueTimeout: Bound,
            AttemptTimeout: Bound, ReportingMta: "tunnel.test", MaxReturnedSize: 1 << 20);
        var metrics = new TunnelMetrics();
        var routing = new RoutingPolicy(new OwnAddresses([], [], []), _sink.EndPoint.Port, Prohibited: []);
        var sender = new SmtpSender(new OutboundSettings("tunnel.test", _sink.EndPoint.Port, TimeSpan.FromSeconds(2), Bound));
        var outbox = new Outbox(_spool, () => ActorRefs.Nobody, Bound, Bound);
        var services = new QueueServices(settings, _spool,
            new Courier(_spool, new RouteResolver([_dns.EndPoint], TimeSpan.FromSeconds(5), metrics), routing, sender),
            new Bouncer(_spool, outbox, settings), new MailLog(_mailLog, metrics));
        return Sys.ActorOf(DomainQueue.Props(Domain, services), "domain-queue");
    }

    /// <summary>What ingress commits: body and reference with its envelope; the notice is the test's to give or not.</summary>
    private async Task<(MessageId Id, NewMail Mail)> StoreWithNoticeAsync(string subject)
    {
        var id = MessageId.New(DateTimeOffset.UtcNow);
        var body = System.Text.Encoding.ASCII.GetBytes($"Subject: {subject}\r\n\r\nbody\r\n");
        var mail = new NewMail(Domain, id, new Envelope(new Mailbox("sender", "tunnel.test")), [new Recipient(new Mailbox("u", Domain))],
            body.Length, DateTimeOffset.UtcNow);
        Assert.True(await _spool.StoreAsync(id, body, [mail], mail.ReceivedAt, Bound, Bound));
        return (id, mail);
    }

    private async Task<MessageId> StoreAsync(string subject) => (await StoreWithNoticeAsync(subject)).Id;

    private static string Subject(string text) => text.Split("\r\n").First(l => l.StartsWith("Subject: "))["Subject: ".Length..];

    public async Task DisposeAsync()
    {
        await _sink.DisposeAsync();
        await _dns.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>The mail log's lines, as MailLog writes them.</summary>
    private sealed class LineLogger : ILogger
    {
        private readonly ConcurrentQueue<string> _lines = new();
        public IReadOnlyList<string> Lines => _lines.ToArray();
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Enqueue(formatter(state, exception));
    }
}
