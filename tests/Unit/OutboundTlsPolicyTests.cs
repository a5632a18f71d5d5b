using System.Security.Cryptography.X509Certificates;
using Tunnel.Cluster.Outbound.Policy;
using Tunnel.Node.Configuration;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// The outbound TLS policy of issue 14: tunnel.outbound.tls (may | verify), per domain levels
/// like Postfix's smtp_tls_policy_maps, the authorities verification trusts, and the check of a
/// next hop's certificate against them and the MX host name.
/// </summary>
public sealed class OutboundTlsPolicyTests
{
    private static TunnelSettings Read(string hocon = "") =>
        SettingsReader.Read(ConfigLoader.Overlay(hocon, ConfigLoader.Load(null, _ => null)));

    [Fact]
    public void By_default_every_domain_is_opportunistic_with_MTA_STS_on_port_443()
    {
        var tls = Read().Outbound.Tls;

        Assert.Equal(TlsLevel.May, tls.For("example.com"));
        Assert.True(tls.MtaSts);
        Assert.True(tls.LooksUpMtaSts("example.com"));
        Assert.Null(tls.TrustedCas);
        Assert.Equal(443, tls.MtaStsPort);
    }

    [Fact]
    public void A_domain_s_own_level_overrides_the_default_and_MTA_STS_only_applies_to_may_and_mta_sts()
    {
        var tls = Read("""
            tunnel.outbound { tls = verify, mta-sts = off
              tls-policy-by-domain { "Example.COM" = encrypt, "sts.example" = mta-sts, "may.example" = may } }
            """).Outbound.Tls;

        Assert.Equal(TlsLevel.Encrypt, tls.For("example.com"));
        Assert.Equal(TlsLevel.Encrypt, tls.For("EXAMPLE.com."));
        Assert.Equal(TlsLevel.Verify, tls.For("other.example"));
        Assert.Equal(TlsLevel.MtaSts, tls.For("sts.example"));
        Assert.True(tls.LooksUpMtaSts("sts.example"));   // asked for by name, whatever the switch
        Assert.False(tls.LooksUpMtaSts("may.example"));  // the switch is off
        Assert.False(tls.LooksUpMtaSts("example.com"));  // an explicit level is the operator's word
    }

    [Theory]
    [InlineData("tunnel.outbound.tls = encrypt", "tunnel.outbound.tls: 'encrypt' is not one of: may, verify")]
    [InlineData("tunnel.outbound.tls = sometimes", "tunnel.outbound.tls: 'sometimes' is not one of")]
    [InlineData("tunnel.outbound.tls-policy-by-domain { \"example.com\" = dane }", "tunnel.outbound.tls-policy-by-domain.example.com: dane needs tunnel.dns.dnssec = on")]
    [InlineData("tunnel.dns.dnssec = sometimes", "tunnel.dns.dnssec: 'sometimes' is not on or off")]
    [InlineData("tunnel.outbound.tls-policy-by-domain { \"example.com\" = secure }", "tunnel.outbound.tls-policy-by-domain.example.com: 'secure' is not one of")]
    [InlineData("tunnel.outbound.tls-ca-file = \"/nonexistent/ca.pem\"", "tunnel.outbound.tls-ca-file: file '/nonexistent/ca.pem' does not exist")]
    [InlineData("tunnel.outbound.mta-sts = maybe", "tunnel.outbound.mta-sts: 'maybe' is not on or off")]
    [InlineData("tunnel.outbound.mta-sts-port = 0", "tunnel.outbound.mta-sts-port")]
    public void A_bad_value_names_its_key(string hocon, string problem)
    {
        var error = Assert.Throws<ConfigurationException>(() => Read(hocon));

        Assert.Contains(error.Problems, p => p.StartsWith(problem, StringComparison.Ordinal));
    }

    [Fact]
    public void The_CA_file_is_read_as_a_PEM_bundle()
    {
        using var ca = new RemoteCa();
        var tls = Read($"tunnel.outbound.tls-ca-file = {ConfigLoader.Quote(ca.WritePemBundle())}").Outbound.Tls;

        Assert.Equal(ca.Certificate.Thumbprint, Assert.Single(tls.TrustedCas!).Thumbprint);
    }

    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public void A_certificate_from_the_trusted_CA_for_the_MX_name_is_valid()
    {
        using var ca = new RemoteCa();
        using var certificate = ca.Issue("mx1.example.com");

        Assert.Null(CertificateCheck.Problem(certificate, [], "mx1.example.com", Trust(ca), Now));
        Assert.Null(CertificateCheck.Problem(certificate, [], "MX1.Example.com.", Trust(ca), Now));
    }

    [Theory]
    [InlineData("*.example.com", "mx1.example.com", true)]
    [InlineData("*.example.com", "a.mx1.example.com", false)] // a wildcard is one label (RFC 6125 §6.4.3)
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("mx1.example.com", "mx2.example.com", false)]
    public void The_name_must_match_the_MX_host(string certified, string host, bool valid)
    {
        using var ca = new RemoteCa();
        using var certificate = ca.Issue(certified);

        var problem = CertificateCheck.Problem(certificate, [], host, Trust(ca), Now);

        Assert.Equal(valid, problem is null);
        if (!valid) Assert.Equal($"certificate names {certified}, not {host}", problem);
    }

    [Fact]
    public void Another_CA_self_signed_or_expired_certificates_are_not_trusted()
    {
        using var ca = new RemoteCa();
        using var other = new RemoteCa("Another Test CA");
        using var fromOther = other.Issue("mx1.example.com");
        using var selfSigned = RemoteCa.SelfSigned("mx1.example.com");
        using var expired = ca.Issue(["mx1.example.com"], Now.AddDays(-10), Now.AddDays(-1));

        Assert.StartsWith("certificate of CN=mx1.example.com not trusted", CertificateCheck.Problem(fromOther, [], "mx1.example.com", Trust(ca), Now));
        Assert.StartsWith("certificate of CN=mx1.example.com not trusted", CertificateCheck.Problem(selfSigned, [], "mx1.example.com", Trust(ca), Now));
        Assert.Contains("NotTimeValid", CertificateCheck.Problem(expired, [], "mx1.example.com", Trust(ca), Now));
    }

    [Fact]
    public void The_CA_file_replaces_the_system_store()
    {
        using var ca = new RemoteCa();
        using var certificate = ca.Issue("mx1.example.com");

        // The test CA is in no system store: without the file, nothing vouches for it.
        Assert.NotNull(CertificateCheck.Problem(certificate, [], "mx1.example.com", trusted: null, Now));
    }

    private static X509Certificate2Collection Trust(RemoteCa ca) => [ca.Certificate];
}
