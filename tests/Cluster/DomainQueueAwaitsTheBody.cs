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

namespace Tunnel.Tests.Cluster;

/// <summary>
/// Ingress writes a message's body to the spool while the DomainQueue writes its envelope to
/// the journal (Submission), so a queue must not attempt a new message before
/// <see cref="BodyStored"/> says the body is there. One real DomainQueue actor (in-memory
/// journal), a real SQLite spool, a real DNS server and a real MX on ::1.
/// </summary>
public sealed class DomainQueueAwaitsTheBody : Akka.TestKit.Xunit2.TestKit, IAsyncLifetime
{
    private const string Domain = "waits.example";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly string _directory = Directory.CreateTempSubdirectory("tunnel-queue-").FullName;
    private readonly SpoolStore _spool;
    private readonly LineLogger _mailLog = new();
    private TestDnsServer _dns = null!;
    private SinkMx _sink = null!;

    public DomainQueueAwaitsTheBody() : base(ConfigurationFactory.ParseString("""
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
    public async Task A_new_message_is_attempted_only_once_its_body_is_confirmed()
    {
        // One attempt at a time, so without the wait the first message would go before the second.
        var queue = StartQueue(enqueueTimeout: TimeSpan.FromHours(1));
        var first = await EnqueueAsync(queue, "first", storeBody: true);
        var second = await EnqueueAsync(queue, "second", storeBody: true);
        queue.Tell(new BodyStored(Domain, second));

        await _sink.WaitForMessagesAsync(1, Bound);
        Assert.Contains("Subject: second", _sink.Messages.Single().Text);
        Assert.Equal(0, (await Inspect(queue)).Messages.Single(m => m.Id == first).Attempts);

        queue.Tell(new BodyStored(Domain, first));
        await _sink.WaitForMessagesAsync(2, Bound);
        Assert.Contains("Subject: first", _sink.Messages[1].Text);
        await Eventually.Until(async () => (await Inspect(queue)).Messages.Count == 0, Bound, "both messages to leave the queue");
    }

    [Fact]
    public async Task A_message_whose_body_never_came_is_cancelled_and_never_sent()
    {
        // Ingress died before storing the body: no BodyStored, no CancelEnqueue. After twice the
        // enqueue timeout the queue tries, finds no body, and drops what was never accepted.
        var queue = StartQueue(enqueueTimeout: TimeSpan.FromMilliseconds(200));
        var lost = await EnqueueAsync(queue, "never stored", storeBody: false);

        await Eventually.Until(async () => (await Inspect(queue)).Messages.Count == 0, Bound, "the message to be dropped");
        Assert.Contains(_mailLog.Lines, l => l.Contains($"{lost}: cancelled for {Domain}: its body is not in the spool"));
        Assert.DoesNotContain(_mailLog.Lines, l => l.Contains("status=deferred"));
        Assert.Empty(_sink.Messages);
    }

    [Fact]
    public async Task Without_word_from_ingress_a_stored_body_is_still_delivered()
    {
        var queue = StartQueue(enqueueTimeout: TimeSpan.FromMilliseconds(200));
        await EnqueueAsync(queue, "orphaned by ingress", storeBody: true);

        await _sink.WaitForMessagesAsync(1, Bound);
        Assert.Contains("Subject: orphaned by ingress", _sink.Messages.Single().Text);
    }

    private IActorRef StartQueue(TimeSpan enqueueTimeout)
    {
        var settings = new QueueSettings(new RetrySchedule(TimeSpan.FromHours(1), TimeSpan.FromHours(1)), TimeSpan.FromDays(5), null,
            ConcurrencyPerDomain: 1, Shards: 1, SnapshotEvery: 1000, PassivateAfter: TimeSpan.FromHours(1), enqueueTimeout,
            AttemptTimeout: Bound, ReportingMta: "tunnel.test", MaxReturnedSize: 1 << 20);
        var metrics = new TunnelMetrics();
        var routing = new RoutingPolicy(new OwnAddresses([], [], []), _sink.EndPoint.Port, Prohibited: []);
        var sender = new SmtpSender(new OutboundSettings("tunnel.test", _sink.EndPoint.Port, Bound, Bound));
        var submission = new Submission(_spool, () => ActorRefs.Nobody, enqueueTimeout);
        var services = new QueueServices(settings, _spool,
            new Courier(_spool, new RouteResolver([_dns.EndPoint], TimeSpan.FromSeconds(5), metrics), routing, sender),
            new Bouncer(_spool, submission, settings), new MailLog(_mailLog, metrics));
        return Sys.ActorOf(DomainQueue.Props(Domain, services), "domain-queue");
    }

    /// <summary>What ingress does, minus the BodyStored: the envelope to the queue, the body to the spool if asked.</summary>
    private async Task<MessageId> EnqueueAsync(IActorRef queue, string subject, bool storeBody)
    {
        var id = MessageId.New(DateTimeOffset.UtcNow);
        var body = System.Text.Encoding.ASCII.GetBytes($"Subject: {subject}\r\n\r\nbody\r\n");
        if (storeBody) await _spool.StoreAsync(id, body, [Domain], DateTimeOffset.UtcNow, CancellationToken.None);
        var recipient = new Recipient(Mailbox.Parse($"user@{Domain}"));
        var accepted = await queue.Ask<EnqueueAccepted>(
            new Enqueue(Domain, id, new Envelope(Mailbox.Parse("sender@tunnel.test")), [recipient], body.Length, DateTimeOffset.UtcNow), Bound);
        Assert.Equal(id, accepted.Id);
        return id;
    }

    private static Task<QueueInspected> Inspect(IActorRef queue) => queue.Ask<QueueInspected>(new InspectQueue(Domain), Bound);

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
