using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// STARTTLS (RFC 3207) with a certificate and key from PEM files named in tunnel.tls: offered in
/// EHLO, a real TLS client (MailKit) sends mail through it, our Received header says ESMTPS, and
/// nothing a client pipelines after STARTTLS in the clear is ever executed (CVE-2011-0411).
/// </summary>
public sealed class StartTlsUpgrade(StartTlsUpgrade.Fixture fixture) : IClassFixture<StartTlsUpgrade.Fixture>
{
    public sealed class Fixture() : IngressFixture(TestCertificate.Hocon());

    [Theory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public async Task A_TLS_client_sends_mail_and_the_Received_header_says_ESMTPS(AddressFamily family)
    {
        var endpoint = fixture.Node.Smtp(family);
        using (var client = new SmtpClient())
        {
            client.ServerCertificateValidationCallback = (_, _, _, _) => true; // self-signed, made by the test
            client.LocalDomain = "tls-client.example";
            await client.ConnectAsync(endpoint.Address.ToString(), endpoint.Port, SecureSocketOptions.StartTls);
            Assert.True(client.IsSecure);
            var message = new MimeMessage();
            message.From.Add(MailboxAddress.Parse("a@ip4only.example"));
            message.To.Add(MailboxAddress.Parse($"tls-{family}@example.com"));
            message.Subject = $"over TLS {family}";
            message.Body = new TextPart("plain") { Text = "secret" };
            await client.SendAsync(message);
            await client.DisconnectAsync(quit: true);
        }

        await Eventually.Until(() => fixture.Node.Sink.Messages.Any(m => m.Recipients.Contains($"tls-{family}@example.com")),
            TimeSpan.FromSeconds(30), "the message sent over TLS to reach the next hop");
        var received = fixture.Node.Sink.Messages.Single(m => m.Recipients.Contains($"tls-{family}@example.com"));
        Assert.StartsWith("Received: from tls-client.example (", received.Text);
        Assert.Contains("by tunnel.test (Tunnel) with ESMTPS id ", received.Text);
    }

    [Theory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public async Task Commands_pipelined_after_STARTTLS_are_discarded_and_the_session_starts_afresh(AddressFamily family)
    {
        await using var client = await fixture.Node.OpenAsync(family);
        var ehlo = await client.CommandAsync("EHLO client.example");
        Assert.Contains("STARTTLS", ehlo);

        // The injection: commands in the same packet as STARTTLS, sent before the handshake.
        await client.SendAsync("STARTTLS\r\nMAIL FROM:<injected@evil.example>\r\nRCPT TO:<victim@example.com>\r\n");
        Assert.Equal("220 2.0.0 Ready to start TLS", await client.ReadReplyAsync());
        Assert.Equal(0, client.Unread); // nothing answered in the clear after the 220
        await client.StartTlsAsync("tunnel.test");

        // Inside TLS the first reply is to our first command: the injected ones were dropped, and
        // so was the EHLO from before (RFC 3207 §4.2), so MAIL needs a new EHLO.
        Assert.Equal("503 5.5.1 Error: send HELO/EHLO first", await client.CommandAsync("MAIL FROM:<a@ip4only.example>"));
        var again = await client.CommandAsync("EHLO client.example");
        Assert.StartsWith("250-tunnel.test Hello client.example", again);
        Assert.DoesNotContain("STARTTLS", again); // not offered twice
        Assert.Equal("503 5.5.1 Error: TLS already active", await client.CommandAsync("STARTTLS"));
        Assert.Equal("503 5.5.1 Error: need MAIL command", await client.CommandAsync("RCPT TO:<victim@example.com>"));
        Assert.Equal("221 2.0.0 tunnel.test closing connection", await client.CommandAsync("QUIT"));
        Assert.DoesNotContain(fixture.Node.Node.MailLog.Lines, l => l.Contains("injected@evil.example"));
    }

    [Theory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public async Task STARTTLS_inside_a_transaction_is_refused(AddressFamily family)
    {
        await using var client = await fixture.Node.OpenAsync(family);
        await client.CommandAsync("EHLO client.example");
        await client.CommandAsync("MAIL FROM:<a@ip4only.example>");

        Assert.Equal("503 5.5.1 Error: STARTTLS inside a mail transaction", await client.CommandAsync("STARTTLS"));
        Assert.Equal("501 5.5.4 Syntax: STARTTLS", await client.CommandAsync("STARTTLS now"));
    }
}

/// <summary>A self-signed certificate for "tunnel.test", made at test time and written as PEM files to a temporary directory.</summary>
internal static class TestCertificate
{
    public static (string Certificate, string Key) WritePem()
    {
        var directory = Directory.CreateTempSubdirectory("tunnel-tls-").FullName;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=tunnel.test", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("tunnel.test");
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var certificateFile = Path.Combine(directory, "cert.pem");
        var keyFile = Path.Combine(directory, "key.pem");
        File.WriteAllText(certificateFile, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        return (certificateFile, keyFile);
    }

    public static string Hocon()
    {
        var (certificate, key) = WritePem();
        return $"tunnel.tls {{ certificate = {Tunnel.Node.Configuration.ConfigLoader.Quote(certificate)}, key = {Tunnel.Node.Configuration.ConfigLoader.Quote(key)} }}";
    }
}
