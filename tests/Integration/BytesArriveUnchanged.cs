using System.Net.Sockets;
using System.Text;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// A relay must not re-encode: DKIM signatures cover the exact header and body bytes. A corpus
/// of awkward messages goes through the tunnel and each arrives byte for byte as sent, after our
/// Received header. (MailKit would re-serialize a MimeMessage; our DATA phase writes the
/// stored bytes, which is what this guards.)
/// </summary>
public sealed class BytesArriveUnchanged(BytesArriveUnchanged.World shared) : IClassFixture<BytesArriveUnchanged.World>
{
    /// <summary>One tunnel for the whole corpus: each message has its own recipient.</summary>
    public sealed class World : IAsyncLifetime
    {
        public TunnelWorld Value { get; private set; } = null!;
        public async Task InitializeAsync() => Value = await TunnelWorld.StartAsync();
        public async Task DisposeAsync() => await Value.DisposeAsync();
    }

    public static TheoryData<string> Names => new(Corpus.Keys);

    private static readonly Dictionary<string, Func<byte[]>> Corpus = new()
    {
        ["DKIM-signed with folded headers"] = () => Ascii(
            "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=ip4only.example; s=sel;\r\n" +
            "\tt=1700000000; h=from:to:subject:date:message-id;\r\n" +
            "\tbh=frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=;\r\n" +
            "\tb=dzdVyOfAKCdLXdJOc9G2q8LoXSlEniSbav+yuU4zGeeruD00lszZVoG4ZHRNiYzR\r\n" +
            "From: Sender <sender@ip4only.example>\r\nTo: user@example.com\r\nSubject: signed\r\n" +
            "Date: Sun, 29 Nov 2026 20:00:00 +0000\r\nMessage-ID: <x@ip4only.example>\r\n\r\nSigned body.\r\n"),
        ["very long folded header and a 998-octet line"] = () => Ascii(
            "Subject: " + string.Join("\r\n ", Enumerable.Range(0, 40).Select(i => $"word{i} " + new string('x', 60))) + "\r\n" +
            "X-Odd:no-space-after-colon\r\nx-lower-case: yes\r\nX-Trailing-Space: value   \r\n\r\n" +
            new string('a', 998) + "\r\n"),
        ["8-bit body in UTF-8 and Latin-1"] = () => Concat(Ascii("Subject: 8bit\r\nContent-Type: text/plain; charset=utf-8\r\n" +
            "Content-Transfer-Encoding: 8bit\r\n\r\n"), Encoding.UTF8.GetBytes("Grüße, Ελληνικά, 日本語\r\n"),
            [0xE9, 0x74, 0xE9, 0x0D, 0x0A]),
        ["odd MIME boundaries, preamble, epilogue, nested parts"] = () => Ascii(
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"a b'(c)+_,-./:=?\"\r\n\r\n" +
            "preamble text\r\n--a b'(c)+_,-./:=?\r\nContent-Type: multipart/alternative;\r\n boundary=inner\r\n\r\n" +
            "--inner\r\nContent-Type: text/plain\r\n\r\nplain\r\n--inner--\r\ninner epilogue\r\n" +
            "--a b'(c)+_,-./:=?--   \r\nepilogue\r\n"),
        ["lines of dots and trailing whitespace"] = () => Ascii(
            "Subject: dots\r\n\r\n.\r\n..\r\n...\r\n. \r\n.x\r\n\t\r\n \r\nend  \t\r\n"),
        ["10 MiB attachment"] = () => Concat(Ascii("Subject: big\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\n" +
            "Content-Transfer-Encoding: base64\r\n\r\n"), Base64Lines(10 * 1024 * 1024)),
    };

    [Theory]
    [MemberData(nameof(Names))]
    public async Task A_message_arrives_exactly_as_sent(string name)
    {
        var world = shared.Value;
        var content = Corpus[name]();
        var recipient = $"case{Corpus.Keys.ToList().IndexOf(name)}@example.com";

        var (client, _) = await RawSmtpClient.OpenAsync(world.Tunnel.Smtp(AddressFamily.InterNetwork));
        await using (client)
        {
            var reply = await client.SendMailAsync(TunnelWorld.Sender, [recipient], Stuff(content));
            Assert.StartsWith("250 2.0.0 Ok: queued as", reply);
        }

        await Eventually.Until(() => world.ExampleCom.Messages.Any(m => m.Recipients.Contains(recipient)),
            TimeSpan.FromSeconds(60), $"{recipient} to arrive");
        var received = Assert.Single(world.ExampleCom.Messages, m => m.Recipients.Contains(recipient));
        var body = WithoutReceivedHeader(received.Data);
        Assert.True(content.AsSpan().SequenceEqual(body),
            $"{name}: {content.Length} octets sent, {body.Length} arrived; first difference at {FirstDifference(content, body)}");
    }

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    private static byte[] Base64Lines(int size)
    {
        var random = new Random(4711);
        var data = new byte[size];
        random.NextBytes(data);
        var text = Convert.ToBase64String(data, Base64FormattingOptions.InsertLineBreaks); // 76-char lines, CRLF
        return Ascii(text + "\r\n");
    }

    /// <summary>DATA content on the wire: a "." before lines starting with one, then the terminator.</summary>
    private static byte[] Stuff(byte[] message)
    {
        var output = new List<byte>(message.Length + 1024);
        var lineStart = true;
        foreach (var b in message)
        {
            if (lineStart && b == '.') output.Add((byte)'.');
            output.Add(b);
            lineStart = b == '\n';
        }
        output.AddRange(".\r\n"u8.ToArray());
        return output.ToArray();
    }

    private static byte[] WithoutReceivedHeader(byte[] data)
    {
        Assert.True(data.AsSpan().StartsWith("Received: "u8), "our Received header comes first");
        var end = 0;
        do end = Array.IndexOf(data, (byte)'\n', end) + 1;
        while (data[end] is (byte)' ' or (byte)'\t');
        return data[end..];
    }

    private static int FirstDifference(byte[] a, byte[] b)
    {
        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++) if (a[i] != b[i]) return i;
        return n;
    }
}
