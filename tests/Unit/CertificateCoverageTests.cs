using Tunnel.Cluster.Ingress.Tls;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>What `tunnel dns check` and `dns plan` say of a tunneled MX host's certificate, at a time the test chooses.</summary>
public sealed class CertificateCoverageTests : IDisposable
{
    private readonly TestCa _ca = TestCa.Create();

    private ServerCertificate Load(string stem, params string[] names)
    {
        var (certificate, key) = _ca.Issue(stem, names);
        return ServerCertificate.Load(new CertificateFiles(stem, certificate, key));
    }

    [Fact]
    public void A_host_is_judged_by_the_certificate_its_SNI_gets_and_by_its_expiry()
    {
        var set = new ServerCertificates(Load("default", "tunnel.example.net", "mx.only.example"), [Load("mx1", "mx1.example.com"), Load("wild", "*.example.org")]);
        var now = DateTime.UtcNow;

        var mx1 = CertificateCoverage.For("mx1.example.com", set, now);
        Assert.Equal(("mx1.example.com", true, (string?)null), (mx1.Certificate, mx1.Covers, mx1.Warning));
        Assert.Null(CertificateCoverage.For("mx.example.org", set, now).Warning);
        // Covered by the default certificate itself: every sender, with SNI or without, gets it.
        var only = CertificateCoverage.For("mx.only.example", set, now);
        Assert.Equal(("tunnel.example.net (default)", true, (string?)null), (only.Certificate, only.Covers, only.Warning));

        var missing = CertificateCoverage.For("example.org", set, now); // the wildcard never covers the bare domain
        Assert.False(missing.Covers);
        Assert.StartsWith("no certificate in tunnel.tls.certificates names example.org", missing.Warning);

        var soon = CertificateCoverage.For("mx1.example.com", set, set.ByName[0].NotAfterUtc.AddDays(-13));
        Assert.Contains("expires on", soon.Warning);
        Assert.Contains("in 13 days", soon.Warning);
        Assert.Null(CertificateCoverage.For("mx1.example.com", set, set.ByName[0].NotAfterUtc.AddDays(-15)).Warning);
        Assert.Contains("expired on", CertificateCoverage.For("mx1.example.com", set, set.ByName[0].NotAfterUtc.AddSeconds(1)).Warning);

        Assert.Equal(CertificateCoverage.NotOffered, CertificateCoverage.For("mx1.example.com", null, now).Warning);
    }

    public void Dispose() => _ca.Dispose();
}
