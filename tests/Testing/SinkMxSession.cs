using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Tunnel.Tests.Testing;

/// <summary>
/// One SMTP conversation of a <see cref="SinkMx"/>: enough of RFC 5321 to act as a next-hop MX,
/// with per-recipient failures chosen by the recipient's local part (see <see cref="SinkMx"/>).
/// </summary>
internal sealed class SinkMxSession(Socket socket, IPEndPoint client, SinkMx sink, CancellationToken stop)
{
    private const string HostName = "sink.test";
    private const int MaxLineLength = 64 * 1024;
    private const int MaxMessageSize = 50 * 1024 * 1024;

    // Both over the socket until STARTTLS, then both the TLS stream.
    private Stream _stream = new NetworkStream(socket, ownsSocket: false);
    private readonly SmtpLineReader _reader = new(new NetworkStream(socket, ownsSocket: false), MaxLineLength);
    private string? _tlsProtocol;
    private readonly List<string> _recipients = [];
    private bool _greeted;
    private string? _mailFromLine;
    private string? _sender;
    private int _transactions; // MAIL commands accepted on this connection
    private int _ended;

    /// <summary>Runs until QUIT, the client closes, a behaviour drops the connection, or the sink stops.</summary>
    public async Task RunAsync()
    {
        await ReplyAsync($"220 {HostName} ESMTP SinkMx");
        // Each complete line is answered in order before the next is read, which is exactly what
        // PIPELINING needs: a batch of commands in one packet gets its replies in the same order.
        while (await _reader.ReadLineAsync(stop) is { } line)
        {
            if (!await HandleAsync(Encoding.UTF8.GetString(line, 0, line.Length - 2)))
                return;
        }
    }

    // Returns false when the connection must be closed.
    private async Task<bool> HandleAsync(string command)
    {
        var verb = command.Split(' ', 2)[0].ToUpperInvariant();
        switch (verb)
        {
            case "EHLO":
                _greeted = true;
                ResetTransaction();
                await ReplyAsync(new[] { $"250-{HostName}", "250-PIPELINING", "250-8BITMIME", $"250-SIZE {MaxMessageSize}", "250-ENHANCEDSTATUSCODES" }
                    .Concat(sink.OffersStartTls && _tlsProtocol is null ? ["250-STARTTLS"] : Array.Empty<string>())
                    .Append("250 SMTPUTF8").ToArray());
                return true;
            case "STARTTLS" when sink.OffersStartTls && _tlsProtocol is null:
                return await StartTlsAsync();
            case "HELO":
                _greeted = true;
                ResetTransaction();
                await ReplyAsync($"250 {HostName}");
                return true;
            case "MAIL":
                await ReplyAsync(Mail(command));
                return true;
            case "RCPT":
                return await RcptAsync(command);
            case "DATA":
                return await DataAsync();
            case "RSET":
                sink.CountReset();
                var reset = sink.ResetReply;
                if (reset.StartsWith("250", StringComparison.Ordinal)) ResetTransaction(); // a server that cannot reset keeps its state
                await ReplyAsync(reset);
                return true;
            case "NOOP":
                await ReplyAsync("250 2.0.0 Ok");
                return true;
            case "QUIT":
                Ended(); // before the reply: a client that has its 221 may count this connection closed
                await ReplyAsync("221 2.0.0 Bye");
                return false;
            default:
                await ReplyAsync("500 5.5.2 Command not recognized");
                return true;
        }
    }

    /// <summary>RFC 3207: 220, then the handshake with the sink's certificate (or, for <see cref="SinkTls.FailHandshake"/>, bytes that are no TLS), then a fresh session.</summary>
    private async Task<bool> StartTlsAsync()
    {
        await ReplyAsync("220 2.0.0 Ready to start TLS");
        if (sink.Tls == SinkTls.FailHandshake)
        {
            await ReplyAsync("this is not a TLS server hello"); // the client's handshake fails on it
            return false;
        }
        var tls = new System.Net.Security.SslStream(new NetworkStream(socket, ownsSocket: false));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            await tls.AuthenticateAsServerAsync(new System.Net.Security.SslServerAuthenticationOptions { ServerCertificate = sink.Certificate },
                deadline.Token);
        }
        catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException)
        {
            sink.CountFailedHandshake();
            await tls.DisposeAsync();
            return false; // the client refused our certificate, say
        }
        _stream = tls;
        _reader.SwitchTo(tls);
        _tlsProtocol = tls.SslProtocol.ToString();
        _greeted = false; // RFC 3207 §4.2: the client starts over with EHLO
        ResetTransaction();
        return true;
    }

    private string Mail(string command)
    {
        if (!_greeted)
            return "503 5.5.1 Send EHLO or HELO first";
        if (_mailFromLine is not null)
            return "503 5.5.1 Nested MAIL command";
        if (PathAfter(command, "MAIL FROM:") is not { } sender)
            return "501 5.5.4 Syntax: MAIL FROM:<address>";
        if (_transactions > 0 && sink.SequenceError == SinkSequenceError.AtMailOnReuse)
            return "503 5.5.1 Bad sequence of commands";
        if (sender.StartsWith("refused", StringComparison.OrdinalIgnoreCase))
            return $"550 5.7.1 <{sender}> sender refused";

        _transactions++;
        _mailFromLine = command;
        _sender = sender.Length == 0 ? null : sender;
        return "250 2.1.0 Ok";
    }

    private async Task<bool> RcptAsync(string command)
    {
        if (_mailFromLine is null)
        {
            await ReplyAsync("503 5.5.1 Need MAIL before RCPT");
            return true;
        }
        if (PathAfter(command, "RCPT TO:") is not { Length: > 0 } recipient)
        {
            await ReplyAsync("501 5.5.4 Syntax: RCPT TO:<address>");
            return true;
        }
        if (_transactions > 1 && sink.SequenceError == SinkSequenceError.AtRcptOnReuse)
        {
            await ReplyAsync("503 5.5.1 Bad sequence of commands");
            return true;
        }

        var localPart = LocalPart(recipient);
        if (localPart.StartsWith("tempfail", StringComparison.Ordinal))
        {
            await ReplyAsync($"451 4.2.0 <{recipient}> temporarily unavailable");
        }
        else if (localPart.StartsWith("permfail", StringComparison.Ordinal))
        {
            await ReplyAsync($"550 5.1.1 <{recipient}> no such user");
        }
        else if (localPart.StartsWith("hang", StringComparison.Ordinal))
        {
            await UntilStoppedAsync(); // simulates a next hop that stops talking mid-transaction
            return false;
        }
        else if (localPart.StartsWith("drop", StringComparison.Ordinal))
        {
            return false; // the caller closes the connection without a reply
        }
        else
        {
            _recipients.Add(recipient);
            await ReplyAsync("250 2.1.5 Ok");
        }
        return true;
    }

    private async Task<bool> DataAsync()
    {
        if (_mailFromLine is null)
        {
            await ReplyAsync("503 5.5.1 Need MAIL before DATA");
            return true;
        }
        if (_recipients.Count == 0)
        {
            await ReplyAsync("554 5.5.1 No valid recipients");
            return true;
        }

        if (LocalPart(_recipients[0]).StartsWith("nodata", StringComparison.Ordinal))
        {
            await ReplyAsync("554 5.5.0 No data accepted here"); // no 354, and the transaction stays open
            return true;
        }

        await ReplyAsync("354 End data with <CR><LF>.<CR><LF>");
        using var data = new MemoryStream();
        while (true)
        {
            if (await _reader.ReadLineAsync(stop) is not { } line)
                return false; // client vanished mid-message: nothing is recorded
            if (line.AsSpan().SequenceEqual(".\r\n"u8))
                break;

            var unstuffed = line[0] == (byte)'.' ? 1 : 0; // RFC 5321 4.5.2
            data.Write(line, unstuffed, line.Length - unstuffed);
            if (data.Length > MaxMessageSize)
                return false;
        }

        if (await sink.HoldReplyAsync() && ClientHungUp()) // a slow server: see SinkMx.DataReplyDelay
            return false; // nobody to answer: the message was never accepted
        if (LocalPart(_recipients[0]).StartsWith("baddata", StringComparison.Ordinal))
        {
            await ReplyAsync("554 5.6.0 Content refused"); // and the transaction stays open
            return true;
        }
        sink.Deliver(new ReceivedMail(_sender, _recipients.ToArray(), data.ToArray(), _mailFromLine, client) { TlsProtocol = _tlsProtocol });
        ResetTransaction();
        await ReplyAsync("250 2.0.0 Ok");
        switch (sink.HangUp)
        {
            case SinkHangUp.Silently:
                return false;
            case SinkHangUp.With421:
                await ReplyAsync("421 4.4.2 sink.test idle timeout, closing");
                return false;
            default:
                return true;
        }
    }

    /// <summary>True when the client has closed or reset the connection (readable, nothing to read).</summary>
    private bool ClientHungUp()
    {
        try
        {
            return socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    /// <summary>Tells the sink, once, that this connection no longer counts as open (QUIT, or closed).</summary>
    public void Ended()
    {
        if (Interlocked.Exchange(ref _ended, 1) == 0) sink.ConnectionEnded();
    }

    private static string LocalPart(string address)
    {
        var at = address.LastIndexOf('@');
        return (at < 0 ? address : address[..at]).ToLowerInvariant();
    }

    private void ResetTransaction()
    {
        _mailFromLine = null;
        _sender = null;
        _recipients.Clear();
    }

    /// <summary>The address inside "&lt;...&gt;" after the prefix ("" for "&lt;&gt;"), or null if malformed.</summary>
    private static string? PathAfter(string command, string prefix)
    {
        if (!command.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            return null;
        var rest = command.AsSpan(prefix.Length).TrimStart(' ');
        var close = rest.IndexOf('>');
        return rest.StartsWith("<") && close > 0 ? rest[1..close].ToString() : null;
    }

    private async Task UntilStoppedAsync()
    {
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (stop.Register(() => stopped.TrySetResult()))
            await stopped.Task;
    }

    private async Task ReplyAsync(params string[] lines)
    {
        var bytes = Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\r\n")));
        await _stream.WriteAsync(bytes, stop);
        await _stream.FlushAsync(stop);
    }
}
