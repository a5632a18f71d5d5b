using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Tunnel.Tests.Testing;

/// <summary>
/// An SMTP client that sends exactly the bytes a test gives it, for checking the server's
/// replies to well-formed and malformed input alike. Every read has a deadline.
/// </summary>
public sealed class RawSmtpClient : IAsyncDisposable
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(30);
    private readonly Socket _socket;
    private Stream _stream;
    private readonly List<byte> _buffer = [];

    private RawSmtpClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public static async Task<RawSmtpClient> ConnectAsync(IPEndPoint server, IPAddress? from = null)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (from is not null) socket.Bind(new IPEndPoint(from, 0));
        using var timeout = new CancellationTokenSource(ReadTimeout);
        await socket.ConnectAsync(server, timeout.Token);
        return new RawSmtpClient(socket);
    }

    /// <summary>Connects and reads the greeting.</summary>
    public static async Task<(RawSmtpClient Client, string Greeting)> OpenAsync(IPEndPoint server)
    {
        var client = await ConnectAsync(server);
        return (client, await client.ReadReplyAsync());
    }

    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text));

    /// <summary>
    /// Starts TLS on the connection as a client (after the server's 220 to STARTTLS), trusting any
    /// certificate: tests use a self-signed one. Bytes already read but not consumed are kept, so
    /// a test can see whether the server said anything in the clear after its 220.
    /// </summary>
    public async Task StartTlsAsync(string targetHost)
    {
        var tls = new System.Net.Security.SslStream(_stream, leaveInnerStreamOpen: false, (_, _, _, _) => true);
        using var timeout = new CancellationTokenSource(ReadTimeout);
        await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions { TargetHost = targetHost }, timeout.Token);
        _stream = tls;
    }

    /// <summary>Bytes received but not yet returned as a reply.</summary>
    public int Unread => _buffer.Count;

    public async Task SendAsync(byte[] bytes)
    {
        using var timeout = new CancellationTokenSource(ReadTimeout);
        await _stream.WriteAsync(bytes, timeout.Token);
    }

    /// <summary>Sends one command line (CRLF added) and returns the whole reply.</summary>
    public async Task<string> CommandAsync(string line)
    {
        await SendAsync(line + "\r\n");
        return await ReadReplyAsync();
    }

    /// <summary>Reads one reply, all its lines ("250-…" up to "250 …"), without the final CRLF.</summary>
    public async Task<string> ReadReplyAsync()
    {
        var lines = new List<string>();
        while (true)
        {
            var line = await ReadLineAsync() ?? throw new EndOfStreamException($"connection closed; reply so far: {string.Join(" | ", lines)}");
            lines.Add(line);
            if (line.Length < 4 || line[3] != '-') return string.Join("\n", lines);
        }
    }

    /// <summary>True when the server closed the connection (read returns 0) within the deadline.</summary>
    public async Task<bool> IsClosedByServerAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(ReadTimeout);
            var chunk = new byte[256];
            while (true)
            {
                var n = await _stream.ReadAsync(chunk, timeout.Token);
                if (n == 0) return true;
            }
        }
        catch (IOException) { return true; }
        catch (OperationCanceledException) { return false; }
    }

    /// <summary>A whole transaction with DATA content sent as given (it must already be dot-stuffed and end with CRLF.CRLF).</summary>
    public async Task<string> SendMailAsync(string from, IEnumerable<string> to, byte[] stuffedData, string helo = "client.example")
    {
        await CommandAsync($"EHLO {helo}");
        await CommandAsync($"MAIL FROM:<{from}>");
        foreach (var rcpt in to) await CommandAsync($"RCPT TO:<{rcpt}>");
        var data = await CommandAsync("DATA");
        if (!data.StartsWith("354")) return data;
        await SendAsync(stuffedData);
        return await ReadReplyAsync();
    }

    private async Task<string?> ReadLineAsync()
    {
        using var timeout = new CancellationTokenSource(ReadTimeout);
        var chunk = new byte[4096];
        while (true)
        {
            for (var i = 1; i < _buffer.Count; i++)
            {
                if (_buffer[i - 1] != '\r' || _buffer[i] != '\n') continue;
                var line = Encoding.UTF8.GetString(_buffer.GetRange(0, i - 1).ToArray());
                _buffer.RemoveRange(0, i + 1);
                return line;
            }
            var n = await _stream.ReadAsync(chunk, timeout.Token);
            if (n == 0) return null;
            _buffer.AddRange(chunk.AsSpan(0, n).ToArray());
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _socket.Dispose();
    }
}
