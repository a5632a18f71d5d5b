using System.Net;
using System.Net.Sockets;
using Tunnel.Node.Configuration;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// Issue 14: the tunnel stands in for the MX hosts of tunneled domains, so a sender that verifies
/// TLS must get the certificate of the host it believes it reaches. The node holds a default
/// certificate (tunnel.test) and, in tunnel.tls.certificates, mx1.example.com's and a wildcard
/// for *.tunneled.example, each with its intermediate, from a CA the test made. OpenSSL's own
/// client, not .NET's, judges what was served. Counts land in /metrics by certificate.
/// </summary>
public sealed class StartTlsPicksTheCertificateBySni : IAsyncLifetime
{
    private readonly TestCa _ca = TestCa.Create();
    private (string Certificate, string Key) _default, _mx1, _wildcard;
    private IngressNode? _node;

    private IngressNode Node => _node!;
    private IPEndPoint Smtp => Node.Smtp(AddressFamily.InterNetwork);

    public async Task InitializeAsync()
    {
        _default = _ca.Issue("default", ["tunnel.test"]);
        _mx1 = _ca.Issue("mx1", ["mx1.example.com"]);
        _wildcard = _ca.Issue("wildcard", ["*.tunneled.example"]);
        _node = await IngressNode.StartAsync(Hocon(reload: "1h"));
    }

    private string Hocon(string reload) => $$"""
        tunnel.tls {
          certificate = {{ConfigLoader.Quote(_default.Certificate)}}
          key = {{ConfigLoader.Quote(_default.Key)}}
          certificates = [
            { certificate = {{ConfigLoader.Quote(_mx1.Certificate)}}, key = {{ConfigLoader.Quote(_mx1.Key)}} }
            { certificate = {{ConfigLoader.Quote(_wildcard.Certificate)}}, key = {{ConfigLoader.Quote(_wildcard.Key)}} }
          ]
          reload-interval = {{reload}}
        }
        """;

    [Theory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public async Task The_SNI_chooses_the_certificate_and_without_a_match_the_default_is_served(AddressFamily family)
    {
        var smtp = Node.Smtp(family);
        var mx1 = await OpenSslClient.StartTlsAsync(smtp, "mx1.example.com", _ca.RootFile);
        Assert.Equal(["CN = mx1.example.com", "O = Tunnel tests, CN = Tunnel Test Intermediate CA"], mx1.Subjects); // the chain goes out
        Assert.True(mx1.Verified, mx1.Output); // a verifying sender accepts it for mx1.example.com

        var wildcard = await OpenSslClient.StartTlsAsync(smtp, "mx2.tunneled.example", _ca.RootFile);
        Assert.Equal("CN = *.tunneled.example", wildcard.Served);
        Assert.True(wildcard.Verified, wildcard.Output);

        // No SNI, a name no certificate covers, the bare domain of the wildcard, two labels under it.
        foreach (var name in new[] { null, "elsewhere.example", "tunneled.example", "a.b.tunneled.example" })
        {
            var handshake = await OpenSslClient.StartTlsAsync(smtp, name);
            Assert.True(handshake.Served == "CN = tunnel.test", $"SNI {name ?? "(none)"}: served {handshake.Served}");
        }

        // A sender that refuses a certificate not valid for its host ends the handshake: counted as a failure.
        var refused = await OpenSslClient.StartTlsAsync(smtp, "mx1.unknown.example", _ca.RootFile, refuseUnverified: true);
        Assert.False(refused.Verified);
        await Eventually.Until(() => Node.Node.MailLog.Lines.Any(l => l.Contains("STARTTLS handshake failed, certificate default offered")),
            TimeSpan.FromSeconds(10), "the mail log to say which certificate the client refused");
        // A client that says STARTTLS and then no TLS at all.
        await using (var client = await Node.OpenAsync(family))
        {
            await client.CommandAsync("EHLO client.example");
            Assert.StartsWith("220 ", await client.CommandAsync("STARTTLS"));
            await client.SendAsync("this is not a ClientHello\r\n");
            await Eventually.Until(async () => await MetricsAsync() is var m && m.Contains("tunnel_tls_handshake_failures_total{certificate=\"none\"} 1"),
                TimeSpan.FromSeconds(10), "the failed handshake to be counted");
        }

        var metrics = await MetricsAsync();
        Assert.Contains("tunnel_tls_handshakes_total{certificate=\"mx1.example.com\"} 1", metrics);
        Assert.Contains("tunnel_tls_handshakes_total{certificate=\"*.tunneled.example\"} 1", metrics);
        Assert.Contains("tunnel_tls_handshakes_total{certificate=\"default\"} 4", metrics);
        Assert.Contains("tunnel_tls_handshake_failures_total{certificate=\"default\"} 1", metrics);
        Assert.Matches(@"tunnel_tls_certificate_expiry_seconds\{certificate=""mx1\.example\.com""\} 77\d{5}", metrics); // 90 days, less the test
    }

    [Fact]
    public async Task A_renewal_is_served_after_a_reload_and_a_broken_one_keeps_the_old_certificate()
    {
        var before = await OpenSslClient.StartTlsAsync(Smtp, "mx1.example.com");
        Assert.Equal(FirstPem(await File.ReadAllTextAsync(_mx1.Certificate)), before.LeafPem);

        // certbot renews: both files change.
        var renewal = _ca.IssuePem(["mx1.example.com"]);
        await File.WriteAllTextAsync(_mx1.Certificate, renewal.Certificate);
        await File.WriteAllTextAsync(_mx1.Key, renewal.Key);
        var outcome = await Node.Node.Node.ReloadCertificatesAsync();
        Assert.Equal(["tunnel.tls.certificates[1]"], outcome.Loaded.Select(c => c.Files.Key));
        Assert.Empty(outcome.Failed);
        var renewed = await OpenSslClient.StartTlsAsync(Smtp, "mx1.example.com", _ca.RootFile);
        Assert.Equal(FirstPem(renewal.Certificate), renewed.LeafPem);
        Assert.True(renewed.Verified, renewed.Output);

        // Half-way through the next renewal: the new certificate is written, its key not yet.
        var next = _ca.IssuePem(["mx1.example.com"]);
        await File.WriteAllTextAsync(_mx1.Certificate, next.Certificate);
        outcome = await Node.Node.Node.ReloadCertificatesAsync();
        Assert.Empty(outcome.Loaded);
        var failure = Assert.Single(outcome.Failed);
        Assert.Equal(_mx1.Key, failure.Error.File); // the key file is the one that does not fit
        Assert.Equal(FirstPem(renewal.Certificate), (await OpenSslClient.StartTlsAsync(Smtp, "mx1.example.com")).LeafPem);
        await Eventually.Until(() => Node.Node.MailLog.Lines.Any(l => l.Contains("TLS certificate not reloaded: tunnel.tls.certificates[1]")
                                                                      && l.Contains(_mx1.Key) && l.Contains("still serving mx1.example.com")),
            TimeSpan.FromSeconds(10), "the node's log to say which file failed and what is still served");
        // The same broken state is not reported again at the next poll.
        Assert.Empty((await Node.Node.Node.ReloadCertificatesAsync()).Failed);

        // A truncated certificate file: still the old one.
        await File.WriteAllTextAsync(_mx1.Certificate, next.Certificate[..(next.Certificate.Length / 3)]);
        outcome = await Node.Node.Node.ReloadCertificatesAsync();
        Assert.Equal(_mx1.Certificate, Assert.Single(outcome.Failed).Error.File);
        Assert.Equal(FirstPem(renewal.Certificate), (await OpenSslClient.StartTlsAsync(Smtp, "mx1.example.com")).LeafPem);

        // The renewal completes.
        await File.WriteAllTextAsync(_mx1.Certificate, next.Certificate);
        await File.WriteAllTextAsync(_mx1.Key, next.Key);
        Assert.Single((await Node.Node.Node.ReloadCertificatesAsync()).Loaded);
        Assert.Equal(FirstPem(next.Certificate), (await OpenSslClient.StartTlsAsync(Smtp, "mx1.example.com")).LeafPem);
        var metrics = await MetricsAsync();
        Assert.Contains("tunnel_tls_certificate_reloads_total{result=\"loaded\"} 2", metrics);
        Assert.Contains("tunnel_tls_certificate_reloads_total{result=\"failed\"} 2", metrics);
    }

    [Fact]
    public async Task The_files_are_polled_at_the_reload_interval()
    {
        await Node.DisposeAsync();
        _node = await IngressNode.StartAsync(Hocon(reload: "200ms"));

        var renewal = _ca.IssuePem(["*.tunneled.example"]);
        await File.WriteAllTextAsync(_wildcard.Key, renewal.Key);
        await File.WriteAllTextAsync(_wildcard.Certificate, renewal.Certificate);

        await Eventually.Until(async () => (await OpenSslClient.StartTlsAsync(Smtp, "mx9.tunneled.example")).LeafPem == FirstPem(renewal.Certificate),
            TimeSpan.FromSeconds(20), "the renewed wildcard certificate to be served without a reload being asked for");
    }

    private static string FirstPem(string pem)
    {
        var end = pem.IndexOf("-----END CERTIFICATE-----", StringComparison.Ordinal) + "-----END CERTIFICATE-----".Length;
        return pem[pem.IndexOf("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal)..end];
    }

    private async Task<string> MetricsAsync()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://{Node.Node.Admin}/") };
        return await http.GetStringAsync("metrics");
    }

    public async Task DisposeAsync()
    {
        if (_node is not null) await _node.DisposeAsync();
        _ca.Dispose();
    }
}
