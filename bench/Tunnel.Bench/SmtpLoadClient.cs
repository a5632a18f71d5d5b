using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Tunnel.Bench;

/// <summary>What became of one message on one connection.</summary>
public enum SendStatus
{
    /// <summary>250 after the data: the node has it.</summary>
    Accepted,
    /// <summary>4xx: not taken, the client tries again later, as an MTA would.</summary>
    Deferred,
    /// <summary>5xx: refused for good; in a bench run that is a bug.</summary>
    Refused,
    /// <summary>The connection broke after the data was sent: nobody here knows whether the node took it.</summary>
    Unknown,
}

public readonly record struct SendResult(SendStatus Status, string Reply, long FirstMailTimestamp, long DotTimestamp, long ReplyTimestamp);

/// <summary>
/// One client connection, as a sending MTA drives it: EHLO once, then several transactions, each
/// with MAIL, RCPT and DATA pipelined in one write (RFC 2920, as Postfix does) and the content
/// in one write, then QUIT. Every read has a deadline. Timestamps are <see cref="Stopwatch"/> ticks.
/// </summary>
public sealed class SmtpLoadClient : IAsyncDisposable
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(60);
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[4096];
    private int _start;
    private int _end;

    private SmtpLoadClient(Socket socket) => _socket = socket;

    /// <summary>From the TCP connection to the greeting: the node's greeting delay, if it applied one.</summary>
    public TimeSpan GreetingWait { get; private set; }

    public static async Task<SmtpLoadClient> ConnectAsync(IPEndPoint server, CancellationToken cancel)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var client = new SmtpLoadClient(socket);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timeout.CancelAfter(ReplyTimeout);
            await socket.ConnectAsync(server, timeout.Token);
            var connected = Stopwatch.GetTimestamp();
            Expect(await client.ReadReplyAsync(cancel), 220, "greeting");
            client.GreetingWait = Stopwatch.GetElapsedTime(connected);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>Connect, greeting and EHLO: an open session ready for MAIL (or idle).</summary>
    public static async Task<SmtpLoadClient> OpenAsync(IPEndPoint server, CancellationToken cancel)
    {
        var client = await ConnectAsync(server, cancel);
        try
        {
            await client.WriteAsync("EHLO client.bench.test\r\n"u8.ToArray(), cancel);
            Expect(await client.ReadReplyAsync(cancel), 250, "EHLO");
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>One transaction. Throws only when the connection broke before the data was sent.</summary>
    public async Task<SendResult> SendAsync(byte[] envelope, byte[] data, CancellationToken cancel)
    {
        var first = Stopwatch.GetTimestamp();
        await WriteAsync(envelope, cancel);
        var mail = await ReadReplyAsync(cancel);
        var rcpt = await ReadReplyAsync(cancel);
        var start = await ReadReplyAsync(cancel);
        if (start.Code != 354)
        {
            var failed = mail.Code >= 400 ? mail : rcpt.Code >= 400 ? rcpt : start;
            await WriteAsync("RSET\r\n"u8.ToArray(), cancel); // a half-open transaction would make the next MAIL "nested"
            await ReadReplyAsync(cancel);
            return new SendResult(failed.Code < 500 ? SendStatus.Deferred : SendStatus.Refused, failed.Text, first, 0, 0);
        }

        long dot;
        try
        {
            // Small messages go in one write, so the dot leaves with them. A large one goes in
            // two: the dot's moment is the start of the last 4 KiB, not of the whole write.
            const int tail = 4096;
            if (data.Length > 4 * tail)
            {
                await WriteAsync(data.AsMemory(0, data.Length - tail), cancel);
                dot = Stopwatch.GetTimestamp();
                await WriteAsync(data.AsMemory(data.Length - tail), cancel);
            }
            else
            {
                dot = Stopwatch.GetTimestamp();
                await WriteAsync(data, cancel);
            }
            var final = await ReadReplyAsync(cancel);
            var status = final.Code is >= 200 and < 300 ? SendStatus.Accepted
                : final.Code < 500 ? SendStatus.Deferred : SendStatus.Refused;
            return new SendResult(status, final.Text, first, dot, Stopwatch.GetTimestamp());
        }
        catch (Exception e) when (e is IOException or SocketException or EndOfStreamException or OperationCanceledException
                                      && !cancel.IsCancellationRequested)
        {
            return new SendResult(SendStatus.Unknown, e.Message, first, 0, 0);
        }
    }

    public async Task QuitAsync(CancellationToken cancel)
    {
        await WriteAsync("QUIT\r\n"u8.ToArray(), cancel);
        await ReadReplyAsync(cancel);
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private readonly record struct Reply(int Code, string Text);

    private static void Expect(Reply reply, int code, string what)
    {
        if (reply.Code != code) throw new IOException($"{what}: expected {code}, got \"{reply.Text}\"");
    }

    private async Task WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancel)
    {
        while (!bytes.IsEmpty)
        {
            var sent = await _socket.SendAsync(bytes, SocketFlags.None, cancel);
            bytes = bytes[sent..];
        }
    }

    /// <summary>One reply, all its lines; the code and the last line's text.</summary>
    private async Task<Reply> ReadReplyAsync(CancellationToken cancel)
    {
        while (true)
        {
            var line = await ReadLineAsync(cancel);
            if (line.Length < 3 || !int.TryParse(line.AsSpan(0, 3), out var code))
                throw new IOException($"not an SMTP reply: \"{line}\"");
            if (line.Length > 3 && line[3] == '-') continue;
            return new Reply(code, line);
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken cancel)
    {
        CancellationTokenSource? timeout = null; // only when we must wait for the network
        try
        {
            return await ReadLineAsync(() => timeout ??= Deadline(cancel));
        }
        finally
        {
            timeout?.Dispose();
        }
    }

    private static CancellationTokenSource Deadline(CancellationToken cancel)
    {
        var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(ReplyTimeout);
        return timeout;
    }

    private async Task<string> ReadLineAsync(Func<CancellationTokenSource> deadline)
    {
        while (true)
        {
            var crlf = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8);
            if (crlf >= 0)
            {
                var line = Encoding.ASCII.GetString(_buffer, _start, crlf);
                _start += crlf + 2;
                return line;
            }
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length) throw new IOException("reply line longer than 4 KiB");
            var n = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, deadline().Token);
            if (n == 0) throw new EndOfStreamException("the server closed the connection");
            _end += n;
        }
    }
}
