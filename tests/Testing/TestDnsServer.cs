using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
// The tests project also sees the DnsClient.NET package (through src), whose namespace is "DnsClient".
using ArDnsClient = ARSoft.Tools.Net.Dns.DnsClient;

namespace Tunnel.Tests.Testing;

/// <summary>
/// An in-process authoritative DNS server (UDP and TCP on one port) answering from a <see cref="TestZone"/>.
/// A question the zone faults with <see cref="DnsFault.NoAnswer"/> is never answered: it is held
/// until the server stops, so the resolver times out exactly as it would behind a lost packet.
/// </summary>
public sealed class TestDnsServer : IAsyncDisposable, IDisposable
{
    private const int StartAttempts = 5;
    private const int TransportTimeoutMs = 2_000;
    private const int TcpKeepAliveMs = 5_000;
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);
    private static readonly DomainName ProbeName = DomainName.Parse("probe.test-dns-server.invalid");

    private readonly DnsServer _server;
    private readonly CancellationTokenSource _stopping = new();
    private int _queryCount;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _questions = new(StringComparer.OrdinalIgnoreCase);
    private int _disposed;

    private TestDnsServer(IPEndPoint endPoint)
    {
        EndPoint = endPoint;
        _server = new DnsServer(
            new UdpServerTransport(endPoint, TransportTimeoutMs),
            new TcpServerTransport(endPoint, TransportTimeoutMs, TcpKeepAliveMs));
        _server.QueryReceived += OnQueryReceived;
    }

    public IPEndPoint EndPoint { get; }

    public TestZone Zone { get; } = new();

    /// <summary>
    /// How long each answer is held back (a slow resolver path): an attempt that looks up a name
    /// with a short TTL then takes at least this long. Zero (the default) answers at once.
    /// </summary>
    public TimeSpan AnswerDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Queries answered since start, over UDP and TCP (the start-up probe is not counted).</summary>
    public int QueryCount => Volatile.Read(ref _queryCount);

    /// <summary>Queries answered for one name and type, e.g. ("_mta-sts.example.com", "TXT").</summary>
    public int QueriesFor(string name, string type) => _questions.GetValueOrDefault($"{name.TrimEnd('.')} {type}");

    /// <summary>
    /// Sets the AD bit on every answer, as a validating resolver does for a signed zone it
    /// validated: what a node with tunnel.dns.dnssec = on trusts (it validates nothing itself).
    /// Off (the default): answers are insecure, as from an unsigned zone.
    /// </summary>
    public bool AuthenticData { get; set; }

    /// <summary>
    /// Starts on 127.0.0.1 unless another address (e.g. ::1) is given, and returns once it answers.
    /// Port 0 (tests) picks a free one; a fixed port is for a node configured beforehand (bench --target).
    /// </summary>
    public static async Task<TestDnsServer> StartAsync(IPAddress? bind = null, int port = 0)
    {
        var address = bind ?? IPAddress.Loopback;
        for (var attempt = 1; ; attempt++)
        {
            TestDnsServer? server = null;
            try
            {
                // ARSoft cannot bind port 0 and tell us the port, so we find one free for both protocols and
                // then race anyone else for it; losing the race is a SocketException and a retry.
                server = new TestDnsServer(new IPEndPoint(address, port != 0 ? port : PortFreeForUdpAndTcp(address)));
                server._server.Start();
            }
            catch (SocketException) when (attempt < StartAttempts && port == 0)
            {
                server?.Dispose();
                continue;
            }
            catch
            {
                server?.Dispose();
                throw;
            }

            try
            {
                await server.ProbeAsync();
                return server;
            }
            catch
            {
                server.Dispose();
                throw;
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _server.Stop();
        _stopping.Cancel(); // releases the unanswered questions; their transport is closed, so nothing is sent
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task OnQueryReceived(object sender, QueryReceivedEventArgs e)
    {
        if (e.Query is not DnsMessage query)
            return; // ARSoft answers anything else with its failure response
        var delay = AnswerDelay;
        if (delay > TimeSpan.Zero && !(query.Questions.Count == 1 && query.Questions[0].Name.Equals(ProbeName)))
            await Task.Delay(delay);

        if (query.Questions.Count != 1 || !query.Questions[0].Name.Equals(ProbeName))
        {
            Interlocked.Increment(ref _queryCount);
            foreach (var question in query.Questions)
                _questions.AddOrUpdate($"{question.Name.ToString().TrimEnd('.')} {question.RecordType}", 1, (_, n) => n + 1);
        }

        var response = query.CreateResponseInstance();
        // A stub resolver (e.g. DnsClient.NET) expects RA from the server it was configured with.
        response.IsAuthoritiveAnswer = true;
        response.IsRecursionAllowed = true;
        // A validating resolver's word that it checked the answer's signatures (RFC 4035 §3.2.3).
        response.IsAuthenticData = AuthenticData;

        if (query.Questions.Count != 1)
        {
            response.ReturnCode = ReturnCode.FormatError;
        }
        else
        {
            var question = query.Questions[0];
            if (Zone.Lookup(question.Name, question.RecordType) is not { } answer)
            {
                await UntilStoppedAsync();
                return;
            }
            response.ReturnCode = answer.Code;
            response.AnswerRecords.AddRange(answer.Answers);
        }

        e.Response = response;
    }

    private async Task UntilStoppedAsync()
    {
        try
        {
            await Task.Delay(Timeout.Infinite, _stopping.Token);
        }
        catch (OperationCanceledException)
        {
            // stopped: the transport is closed, ARSoft's fallback reply goes nowhere
        }
    }

    // Proves both transports answer before a test points anything at us. Each client uses a single
    // transport because ARSoft's client silently falls back from UDP to TCP.
    private async Task ProbeAsync()
    {
        using var timeout = new CancellationTokenSource(ProbeTimeout);
        IClientTransport[] transports = [new UdpClientTransport(EndPoint.Port), new TcpClientTransport(EndPoint.Port)];
        foreach (var transport in transports)
        {
            using var client = new ArDnsClient([EndPoint.Address], [transport], true, TransportTimeoutMs);
            var answer = await client.ResolveAsync(ProbeName, RecordType.A, RecordClass.INet, null, timeout.Token)
                .WaitAsync(timeout.Token);
            if (answer is null)
                throw new InvalidOperationException($"TestDnsServer on {EndPoint} did not answer over {transport.GetType().Name}.");
        }
    }

    private static int PortFreeForUdpAndTcp(IPAddress address)
    {
        using var udp = NewSocket(address, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(address, 0));
        var port = ((IPEndPoint)udp.LocalEndPoint!).Port;

        using var tcp = NewSocket(address, SocketType.Stream, ProtocolType.Tcp);
        tcp.Bind(new IPEndPoint(address, port)); // throws if the TCP side is taken: the caller retries
        return port;
    }

    private static Socket NewSocket(IPAddress address, SocketType type, ProtocolType protocol)
    {
        var socket = new Socket(address.AddressFamily, type, protocol);
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
            socket.DualMode = false;
        return socket;
    }
}
