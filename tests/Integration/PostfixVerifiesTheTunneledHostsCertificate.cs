using System.Net.Sockets;
using System.Text;
using Tunnel.Node.Configuration;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// Issue 14, with a real sender: Postfix, IPv4-only, sends to user@example.com, whose MX
/// mx1.example.com is IPv6-only and published with the tunnel's A record, so Postfix reaches the
/// tunnel believing it is mx1. It verifies TLS as a cautious operator (or an MTA-STS or DANE
/// policy) makes it: smtp_tls_security_level = verify, the certificate must match mx1.example.com,
/// issued by the test's CA. When the tunnel holds mx1's certificate, the mail arrives at mx1 (the
/// sink, over IPv6); with only the default certificate, Postfix defers and keeps the message.
/// See <see cref="PostfixSender"/> for how Postfix is pointed at the tunnel without DNS.
/// </summary>
public sealed class PostfixVerifiesTheTunneledHostsCertificate : IAsyncLifetime
{
    private readonly TestCa _ca = TestCa.Create();
    private (string Certificate, string Key) _default, _mx1;

    public Task InitializeAsync()
    {
        _default = _ca.Issue("default", ["tunnel.test"]);
        _mx1 = _ca.Issue("mx1", ["mx1.example.com"]);
        return Task.CompletedTask;
    }

    private string Tls(bool withMx1) => $$"""
        tunnel.tls {
          certificate = {{ConfigLoader.Quote(_default.Certificate)}}, key = {{ConfigLoader.Quote(_default.Key)}}
          certificates = [{{(withMx1 ? $"{{ certificate = {ConfigLoader.Quote(_mx1.Certificate)}, key = {ConfigLoader.Quote(_mx1.Key)} }}" : "")}}]
        }
        """;

    [Fact]
    public async Task With_mx1_s_certificate_the_mail_arrives_through_the_tunnel()
    {
        await using var node = await IngressNode.StartAsync(Tls(withMx1: true));
        await using var postfix = await PostfixSender.StartAsync(node.Smtp(AddressFamily.InterNetwork), "example.com", "mx1.example.com", _ca.RootFile);

        await SubmitAsync(postfix, "verified@example.com");

        await Eventually.Until(() => node.Sink.Messages.Any(m => m.Recipients.Contains("verified@example.com")), TimeSpan.FromSeconds(30),
            $"the message to reach mx1 through the tunnel; Postfix's log:\n{postfix.MailLog}");
        Assert.Contains("Verified TLS connection established to 127.0.0.1[127.0.0.1]", postfix.MailLog);
        Assert.Matches(@"to=<verified@example\.com>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:\d+, .*status=sent", postfix.MailLog);
        var received = node.Sink.Messages.Single(m => m.Recipients.Contains("verified@example.com"));
        Assert.Contains("by tunnel.test (Tunnel) with ESMTPS id ", received.Text);
    }

    [Fact]
    public async Task With_only_the_default_certificate_Postfix_defers()
    {
        await using var node = await IngressNode.StartAsync(Tls(withMx1: false));
        await using var postfix = await PostfixSender.StartAsync(node.Smtp(AddressFamily.InterNetwork), "example.com", "mx1.example.com", _ca.RootFile);

        await SubmitAsync(postfix, "refused@example.com");

        await Eventually.Until(() => postfix.MailLog.Contains("to=<refused@example.com>") && postfix.MailLog.Contains("status=deferred"),
            TimeSpan.FromSeconds(30), $"Postfix to defer the message; its log:\n{postfix.MailLog}");
        Assert.Contains("Server certificate not verified", postfix.MailLog);
        Assert.Contains("refused@example.com", await postfix.QueueAsync()); // still Postfix's to retry
        Assert.Empty(node.Sink.Messages);
        Assert.Equal(0, await node.SpoolCountAsync()); // nothing was handed to the tunnel
    }

    private static async Task SubmitAsync(PostfixSender postfix, string recipient)
    {
        var (client, greeting) = await RawSmtpClient.OpenAsync(postfix.Submission);
        await using (client)
        {
            Assert.StartsWith("220 ", greeting);
            var reply = await client.SendMailAsync("sender@ip4only.example", [recipient],
                Encoding.ASCII.GetBytes($"Subject: through the tunnel\r\nTo: <{recipient}>\r\n\r\nVerified TLS all the way.\r\n.\r\n"),
                helo: "submitter.ip4only.example");
            Assert.StartsWith("250 ", reply);
        }
    }

    public Task DisposeAsync()
    {
        _ca.Dispose();
        return Task.CompletedTask;
    }
}
