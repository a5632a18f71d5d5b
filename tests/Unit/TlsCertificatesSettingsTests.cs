using Tunnel.Cluster.Ingress.Tls;
using Tunnel.Node.Configuration;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// tunnel.tls.certificates (issue 14): every pair is loaded at start, and whatever cannot be
/// served stops the node with the key, the entry's number and the file; the reload keeps what it
/// had when a changed pair does not load.
/// </summary>
public sealed class TlsCertificatesSettingsTests : IDisposable
{
    private readonly TestCa _ca = TestCa.Create();

    private static TunnelSettings Read(string hocon) =>
        SettingsReader.Read(ConfigLoader.Overlay(hocon, ConfigLoader.Load(null, _ => null)));

    private static string Pair((string Certificate, string Key) files) =>
        $"{{ certificate = {ConfigLoader.Quote(files.Certificate)}, key = {ConfigLoader.Quote(files.Key)} }}";

    private string Tls(params string[] entries)
    {
        var main = _ca.Issue("default", ["tunnel.test"]);
        return $"tunnel.tls {{ certificate = {ConfigLoader.Quote(main.Certificate)}, key = {ConfigLoader.Quote(main.Key)}, "
               + $"certificates = [{string.Join(", ", entries)}] }}";
    }

    [Fact]
    public void Each_pair_is_loaded_with_its_chain_and_names()
    {
        var mx1 = _ca.Issue("mx1", ["mx1.example.com", "mx1.example.org"]);
        var wildcard = _ca.Issue("wild", ["*.example.net"]);

        var certificates = Read(Tls(Pair(mx1), Pair(wildcard))).Ingress.Certificates!;

        Assert.Equal("tunnel.test", certificates.Default.Name);
        Assert.Equal(["mx1.example.com", "mx1.example.org"], certificates.ByName[0].DnsNames);
        Assert.Equal("tunnel.tls.certificates[2]", certificates.ByName[1].Files.Key);
        Assert.Equal("mx1.example.com", certificates.Select("mx1.example.org").Label);
        Assert.Equal("*.example.net", certificates.Select("mx.example.net").Label);
        Assert.Equal(ServerCertificates.DefaultLabel, certificates.Select(null).Label);
        Assert.Equal(TimeSpan.FromMinutes(1), Read("").Ingress.CertificateReloadInterval);
    }

    [Fact]
    public void What_cannot_be_served_is_named_with_its_entry_and_file()
    {
        var mx1 = _ca.Issue("mx1", ["mx1.example.com"]);
        var other = _ca.Issue("other", ["other.example.com"]);
        var notPem = Path.Combine(_ca.Directory, "not.pem");
        File.WriteAllText(notPem, "this is not PEM\n");

        var problems = Assert.Throws<ConfigurationException>(() => Read(Tls(
            Pair(mx1),
            Pair(("/nonexistent/mx2.pem", mx1.Key)),
            Pair((mx1.Certificate, other.Key)), // a key of another certificate
            Pair((notPem, mx1.Key)),
            "{ certificate = \"a.pem\" }",
            "{ certificate = \"a.pem\", key = \"a.key\", chain = \"c.pem\" }"))).Problems;

        Assert.Contains("tunnel.tls.certificates: [2]: '/nonexistent/mx2.pem' does not exist", problems);
        Assert.Contains($"tunnel.tls.certificates: [3]: '{other.Key}' is not the private key of the certificate in {mx1.Certificate}", problems);
        Assert.Contains(problems, p => p.StartsWith($"tunnel.tls.certificates: [4]: '{notPem}' "));
        Assert.Contains("tunnel.tls.certificates: [5]: needs both certificate and key (PEM file names)", problems);
        Assert.Contains("tunnel.tls.certificates: [6]: unknown key 'chain' (an entry has certificate and key)", problems);
        Assert.Contains("tunnel.tls.certificates: [6]: 'a.pem' does not exist", problems); // named in full, it is still read
        Assert.Equal(6, problems.Count);
    }

    [Fact]
    public void The_list_needs_the_default_certificate()
    {
        var mx1 = _ca.Issue("mx1", ["mx1.example.com"]);

        var problem = Assert.Single(Assert.Throws<ConfigurationException>(() => Read($"tunnel.tls.certificates = [{Pair(mx1)}]")).Problems);

        Assert.StartsWith("tunnel.tls.certificates: names 1 certificate(s) but tunnel.tls.certificate is empty", problem);
        Assert.Contains("tunnel.tls.reload-interval", Assert.Single(Assert.Throws<ConfigurationException>(() => Read("tunnel.tls.reload-interval = 0s")).Problems));
    }

    [Fact]
    public void A_reload_swaps_only_what_loads_and_reports_a_broken_state_once()
    {
        var mx1 = _ca.Issue("mx1", ["mx1.example.com"]);
        var mx2 = _ca.Issue("mx2", ["mx2.example.com"]);
        var store = new CertificateStore(Read(Tls(Pair(mx1), Pair(mx2))).Ingress.Certificates!);
        var first = store.Current;

        Assert.Equal(new ReloadOutcome([], []), store.Reload() with { Loaded = [], Failed = [] });
        Assert.Same(first, store.Current); // nothing changed: nothing swapped

        var renewed = _ca.IssuePem(["mx2.example.com"]);
        File.WriteAllText(mx2.Certificate, renewed.Certificate); // the key follows later
        File.WriteAllText(mx1.Key, _ca.IssuePem(["mx1.example.com"]).Key); // mx1: a key of another certificate
        var outcome = store.Reload();
        Assert.Empty(outcome.Loaded);
        Assert.Equal([mx1.Key, mx2.Key], outcome.Failed.Select(f => f.Error.File));
        Assert.Same(first, store.Current);
        Assert.Empty(store.Reload().Failed); // said once

        File.WriteAllText(mx2.Key, renewed.Key);
        outcome = store.Reload();
        Assert.Equal(["mx2.example.com"], outcome.Loaded.Select(c => c.Name));
        Assert.Empty(outcome.Failed); // mx1's state did not change: not said again
        Assert.NotSame(first.ByName[1], store.Current.ByName[1]);
        Assert.Same(first.ByName[0], store.Current.ByName[0]); // the broken one still serves its old certificate
        Assert.Same(first.Default, store.Current.Default);
    }

    public void Dispose() => _ca.Dispose();
}
