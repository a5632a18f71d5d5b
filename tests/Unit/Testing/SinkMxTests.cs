using System.Net;
using System.Net.Sockets;
using System.Text;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Unit.Testing;

public sealed class SinkMxTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task Receives_a_message_byte_exactly_including_dot_stuffed_lines(string address)
    {
        await using var sink = SinkMx.Start(IPAddress.Parse(address));
        var message = NewMessage("alice@example.org", ["bob@example.net", "carol@example.net"],
            "Hello\r\n.leading dot\r\n..two dots\r\n.\r\nend\r\n");

        using (var client = new SmtpClient())
            await SendAsync(client, sink, message);

        var received = Assert.Single(await sink.WaitForMessagesAsync(1, Timeout));
        Assert.Equal("alice@example.org", received.Sender);
        Assert.Equal(["bob@example.net", "carol@example.net"], received.Recipients);
        Assert.StartsWith("MAIL FROM:<alice@example.org>", received.MailFromLine);
        Assert.Equal(Serialize(message), received.Data);
        Assert.Contains("\r\n.leading dot\r\n..two dots\r\n.\r\nend\r\n", received.Text);
        Assert.Equal(IPAddress.Parse(address), received.Client.Address);
        Assert.Equal(1, sink.ConnectionCount);
        Assert.Equal(received.Client, Assert.Single(sink.Clients));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task Tempfail_and_permfail_recipients_are_refused_and_left_out_of_the_message(string address)
    {
        await using var sink = SinkMx.Start(IPAddress.Parse(address));
        var message = NewMessage("alice@example.org",
            ["tempfail-1@example.net", "ok@example.net", "permfail.x@example.net"], "Hi\r\n");

        using var client = new TolerantSmtpClient();
        await SendAsync(client, sink, message);

        var received = Assert.Single(await sink.WaitForMessagesAsync(1, Timeout));
        Assert.Equal(["ok@example.net"], received.Recipients);
        Assert.Collection(client.Refused,
            r =>
            {
                Assert.Equal("tempfail-1@example.net", r.Mailbox);
                Assert.Equal(451, (int)r.Response.StatusCode);
                Assert.StartsWith("4.2.0", r.Response.Response);
            },
            r =>
            {
                Assert.Equal("permfail.x@example.net", r.Mailbox);
                Assert.Equal(550, (int)r.Response.StatusCode);
                Assert.StartsWith("5.1.1", r.Response.Response);
            });
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task A_message_whose_only_recipient_fails_is_not_recorded(string address)
    {
        await using var sink = SinkMx.Start(IPAddress.Parse(address));
        using var client = new SmtpClient();

        var error = await Assert.ThrowsAsync<SmtpCommandException>(() =>
            SendAsync(client, sink, NewMessage("alice@example.org", ["tempfail@example.net"], "Hi\r\n")));

        Assert.Equal(451, (int)error.StatusCode);
        await client.NoOpAsync(); // the session is still usable, and the sink has answered everything
        Assert.Empty(sink.Messages);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task BindOnly_refuses_connections_until_Listen(string address)
    {
        await using var sink = SinkMx.BindOnly(IPAddress.Parse(address));

        using (var probe = new Socket(sink.EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp))
        {
            var refused = await Assert.ThrowsAsync<SocketException>(() => probe.ConnectAsync(sink.EndPoint));
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        }

        sink.Listen();
        using (var client = new SmtpClient())
            await SendAsync(client, sink, NewMessage("alice@example.org", ["bob@example.net"], "Back\r\n"));

        Assert.Single(await sink.WaitForMessagesAsync(1, Timeout));
        Assert.Equal(1, sink.ConnectionCount);
    }

    [Fact]
    public async Task Pipelined_commands_get_replies_in_order_and_null_sender_is_null()
    {
        await using var sink = SinkMx.Start(IPAddress.Loopback);
        using var session = await RawSession.ConnectAsync(sink.EndPoint);

        await session.SendAsync("EHLO client.test\r\nMAIL FROM:<> BODY=8BITMIME\r\nRCPT TO:<a@example.net>\r\n" +
                                "RCPT TO:<permfail@example.net>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n");
        Assert.Contains("PIPELINING", await session.ReadReplyAsync());
        Assert.StartsWith("250 2.1.0", await session.ReadReplyAsync());
        Assert.StartsWith("250 2.1.5", await session.ReadReplyAsync());
        Assert.StartsWith("550 5.1.1", await session.ReadReplyAsync());
        Assert.StartsWith("250 2.1.5", await session.ReadReplyAsync());
        Assert.StartsWith("354", await session.ReadReplyAsync());

        await session.SendAsync("Subject: t\r\n\r\n..dotted\r\nbare\nLF and bare\rCR\r\n.\r\nQUIT\r\n");
        Assert.Equal("250 2.0.0 Ok", await session.ReadReplyAsync());
        Assert.StartsWith("221", await session.ReadReplyAsync());

        var received = Assert.Single(sink.Messages);
        Assert.Null(received.Sender);
        Assert.Equal("MAIL FROM:<> BODY=8BITMIME", received.MailFromLine);
        Assert.Equal(["a@example.net", "b@example.net"], received.Recipients);
        Assert.Equal("Subject: t\r\n\r\n.dotted\r\nbare\nLF and bare\rCR\r\n"u8.ToArray(), received.Data);
    }

    [Fact]
    public async Task Hang_recipient_gets_no_reply_until_the_sink_is_disposed()
    {
        var sink = SinkMx.Start(IPAddress.Loopback);
        using var session = await RawSession.ConnectAsync(sink.EndPoint);
        await session.SendAsync("HELO client.test\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<hang@example.net>\r\n");
        Assert.StartsWith("250", await session.ReadReplyAsync());
        Assert.StartsWith("250", await session.ReadReplyAsync());

        // Bounded check for silence: nothing may arrive within this window.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => session.ReadReplyAsync(TimeSpan.FromMilliseconds(300)));

        await sink.DisposeAsync();
        Assert.Null(await session.ReadReplyAsync());
    }

    [Fact]
    public async Task Drop_recipient_closes_the_connection_without_a_reply()
    {
        await using var sink = SinkMx.Start(IPAddress.Loopback);
        using var session = await RawSession.ConnectAsync(sink.EndPoint);
        await session.SendAsync("EHLO client.test\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<drop@example.net>\r\n");
        Assert.StartsWith("250", await session.ReadReplyAsync());
        Assert.StartsWith("250", await session.ReadReplyAsync());

        Assert.Null(await session.ReadReplyAsync());
        Assert.Empty(sink.Messages);
    }

    [Fact]
    public async Task An_overlong_line_drops_the_connection()
    {
        await using var sink = SinkMx.Start(IPAddress.Loopback);
        using var session = await RawSession.ConnectAsync(sink.EndPoint);

        try
        {
            await session.SendAsync(new string('x', 80 * 1024));
        }
        catch (IOException)
        {
            // The sink may already have hung up while we were still writing.
        }

        Assert.Null(await session.ReadReplyOrResetAsync());
    }

    [Fact]
    public async Task Handles_concurrent_connections()
    {
        const int senders = 8;
        await using var sink = SinkMx.Start(IPAddress.Loopback);

        await Task.WhenAll(Enumerable.Range(0, senders).Select(async i =>
        {
            using var client = new SmtpClient();
            await SendAsync(client, sink, NewMessage("alice@example.org", [$"user{i}@example.net"], $"Message {i}\r\n"));
        }));

        var received = await sink.WaitForMessagesAsync(senders, Timeout);
        Assert.Equal(senders, received.Count);
        Assert.Equal(senders, sink.ConnectionCount);
        Assert.Equal(
            Enumerable.Range(0, senders).Select(i => $"user{i}@example.net").Order(),
            received.Select(m => Assert.Single(m.Recipients)).Order());
    }

    [Fact]
    public async Task WaitForMessagesAsync_times_out_saying_how_many_arrived()
    {
        await using var sink = SinkMx.Start(IPAddress.Loopback);
        using (var client = new SmtpClient())
            await SendAsync(client, sink, NewMessage("alice@example.org", ["bob@example.net"], "One\r\n"));

        var error = await Assert.ThrowsAsync<TimeoutException>(() =>
            sink.WaitForMessagesAsync(2, TimeSpan.FromMilliseconds(200)));

        Assert.Contains("expected 2 message(s)", error.Message);
        Assert.Contains("but 1 arrived", error.Message);
    }

    private static MimeMessage NewMessage(string from, string[] to, string body)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        foreach (var recipient in to)
            message.To.Add(MailboxAddress.Parse(recipient));
        message.Subject = "SinkMx test";
        message.Body = new TextPart("plain") { Text = body };
        return message;
    }

    private static async Task SendAsync(SmtpClient client, SinkMx sink, MimeMessage message)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        client.Timeout = (int)Timeout.TotalMilliseconds;
        await client.ConnectAsync(sink.EndPoint.Address.ToString(), sink.EndPoint.Port, SecureSocketOptions.None, timeout.Token);
        await client.SendAsync(message, timeout.Token);
        await client.DisconnectAsync(true, timeout.Token);
    }

    // What MailKit puts on the wire, before dot-stuffing: the sink must hand back exactly this.
    private static byte[] Serialize(MimeMessage message)
    {
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        using var bytes = new MemoryStream();
        message.WriteTo(options, bytes);
        return bytes.ToArray();
    }

    /// <summary>Keeps going when a recipient is refused, remembering the refusal, like a relay would.</summary>
    private sealed class TolerantSmtpClient : SmtpClient
    {
        public List<(string Mailbox, SmtpResponse Response)> Refused { get; } = [];

        protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) =>
            Refused.Add((mailbox.Address, response));
    }

    /// <summary>A hand-driven SMTP client for what MailKit will not do: pipelining by hand, odd bytes, silence.</summary>
    private sealed class RawSession : IDisposable
    {
        private readonly TcpClient _tcp;
        private readonly NetworkStream _stream;
        private readonly StreamReader _reader;

        private RawSession(TcpClient tcp)
        {
            _tcp = tcp;
            _stream = tcp.GetStream();
            _reader = new StreamReader(_stream, Encoding.ASCII);
        }

        public static async Task<RawSession> ConnectAsync(IPEndPoint endPoint)
        {
            var tcp = new TcpClient(endPoint.AddressFamily);
            await tcp.ConnectAsync(endPoint).WaitAsync(Timeout);
            var session = new RawSession(tcp);
            Assert.StartsWith("220 ", await session.ReadReplyAsync());
            return session;
        }

        public async Task SendAsync(string text)
        {
            using var timeout = new CancellationTokenSource(Timeout);
            await _stream.WriteAsync(Encoding.ASCII.GetBytes(text), timeout.Token);
        }

        /// <summary>The next (possibly multi-line) reply, or null when the server closed the connection.</summary>
        public async Task<string?> ReadReplyAsync(TimeSpan? within = null)
        {
            using var timeout = new CancellationTokenSource(within ?? Timeout);
            var reply = new StringBuilder();
            while (await _reader.ReadLineAsync(timeout.Token) is { } line)
            {
                reply.AppendLine(line);
                if (line.Length < 4 || line[3] != '-')
                    return reply.ToString().TrimEnd();
            }
            return null;
        }

        public async Task<string?> ReadReplyOrResetAsync()
        {
            try
            {
                return await ReadReplyAsync();
            }
            catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
            {
                return null;
            }
        }

        public void Dispose()
        {
            _reader.Dispose();
            _tcp.Dispose();
        }
    }
}
