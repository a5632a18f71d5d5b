using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Tunnel.Tests.Testing;

/// <summary>
/// A small HTTPS/1.1 server on loopback (TcpListener and SslStream, no Tunnel code) that plays
/// the MTA-STS policy host (RFC 8461 §3.3): each GET of /.well-known/mta-sts.txt gets
/// <see cref="Status"/> and <see cref="Policy"/> as text/plain, then the connection closes. Its
/// certificate is the test's (from a <see cref="RemoteCa"/>), so the client must trust that CA.
/// </summary>
public sealed class PolicyHttpsServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly X509Certificate2 _certificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<string> _requests = [];

    private PolicyHttpsServer(IPAddress address, X509Certificate2 certificate)
    {
        _certificate = certificate;
        _listener = new TcpListener(address, 0);
        _listener.Start();
        EndPoint = (IPEndPoint)_listener.LocalEndpoint;
        _loop = Task.Run(AcceptLoopAsync);
    }

    public static PolicyHttpsServer Start(IPAddress address, X509Certificate2 certificate) => new(address, certificate);

    public IPEndPoint EndPoint { get; }

    /// <summary>The policy body served (RFC 8461 §3.2).</summary>
    public string Policy { get; set; } = "";

    public HttpStatusCode Status { get; set; } = HttpStatusCode.OK;

    /// <summary>Each request's first line and Host header, in order.</summary>
    public IReadOnlyList<string> Requests
    {
        get { lock (_requests) return _requests.ToArray(); }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            await using var tls = new SslStream(client.GetStream());
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, deadline.Token);
            var head = new StringBuilder();
            var buffer = new byte[4096];
            while (!head.ToString().Contains("\r\n\r\n") && head.Length < 16384)
            {
                var n = await tls.ReadAsync(buffer, deadline.Token);
                if (n == 0) return;
                head.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
            var lines = head.ToString().Split("\r\n");
            var host = lines.FirstOrDefault(l => l.StartsWith("Host:", StringComparison.OrdinalIgnoreCase)) ?? "Host: (none)";
            lock (_requests) _requests.Add($"{lines[0]} {host}");
            var found = lines[0].StartsWith("GET /.well-known/mta-sts.txt ", StringComparison.Ordinal);
            var status = found ? Status : HttpStatusCode.NotFound;
            var body = Encoding.UTF8.GetBytes(found ? Policy : "not found");
            var response = $"HTTP/1.1 {(int)status} {status}\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
            await tls.WriteAsync(Encoding.ASCII.GetBytes(response), deadline.Token);
            await tls.WriteAsync(body, deadline.Token);
            await tls.FlushAsync(deadline.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException)
        {
            // The client went away or refused our certificate: nothing to answer.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _loop.WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }
}
