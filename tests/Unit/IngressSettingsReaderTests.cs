using System.Net;
using Tunnel.Node.Configuration;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// The ingress keys of cluster.hocon (tunnel.smtp, tunnel.relay, tunnel.tls, tunnel.public-addresses):
/// the shipped defaults, and every bad value refused with its key's name in the message.
/// </summary>
public sealed class IngressSettingsReaderTests
{
    private static TunnelSettings Read(string hocon = "") =>
        SettingsReader.Read(ConfigLoader.Overlay(hocon, ConfigLoader.Load(null, _ => null)));

    [Fact]
    public void The_defaults_are_the_documented_ones()
    {
        var ingress = Read().Ingress;

        Assert.Equal(Tunnel.Cluster.Ingress.SessionLimits.Defaults, ingress.Limits);
        Assert.False(ingress.Relay.VerifyMx);
        Assert.Empty(ingress.Relay.Clients);
        Assert.Empty(ingress.Relay.PublicAddresses);
        Assert.Null(ingress.Certificates);
        Assert.Equal(TimeSpan.FromDays(1), ingress.GreetingPassTtl);
        Assert.Equal(100_000, ingress.GreetingPassMax);
    }

    [Fact]
    public void Relay_rules_are_read()
    {
        var relay = Read("""
            tunnel.public-addresses = ["192.0.2.30", "2001:db8::30"]
            tunnel.relay { verify-mx = on, clients = ["192.0.2.0/24", "2001:db8:1::/48", "198.51.100.7"] }
            """).Ingress.Relay;

        Assert.True(relay.VerifyMx);
        Assert.Equal([IPAddress.Parse("192.0.2.30"), IPAddress.Parse("2001:db8::30")], relay.PublicAddresses);
        Assert.Equal([IPNetwork.Parse("192.0.2.0/24"), IPNetwork.Parse("2001:db8:1::/48"), IPNetwork.Parse("198.51.100.7/32")], relay.Clients);
    }

    [Fact]
    public void Limits_are_read_and_a_zero_greeting_delay_is_allowed()
    {
        var limits = Read("""
            tunnel.smtp { greeting-delay = 0s, final-timeout = 30s, max-connections = 5, max-connections-per-client = 2, max-received-headers = 7 }
            """).Ingress.Limits;

        Assert.Equal(TimeSpan.Zero, limits.GreetingDelay);
        Assert.Equal(TimeSpan.FromSeconds(30), limits.FinalTimeout);
        Assert.Equal(5, limits.MaxConnections);
        Assert.Equal(2, limits.MaxConnectionsPerClient);
        Assert.Equal(7, limits.MaxReceivedHeaders);
    }

    [Theory]
    [InlineData("tunnel.relay.verify-mx = maybe", "tunnel.relay.verify-mx")]
    [InlineData("tunnel.relay.verify-mx = on", "tunnel.relay.verify-mx")] // without public addresses
    [InlineData("tunnel.relay.clients = [\"192.0.2.1/24\"]", "tunnel.relay.clients")] // host bits set
    [InlineData("tunnel.relay.clients = [\"not-a-network\"]", "tunnel.relay.clients")]
    [InlineData("tunnel.relay.clients = [\"192.0.2.0/33\"]", "tunnel.relay.clients")]
    [InlineData("tunnel.public-addresses = [\"tunnel.example\"]", "tunnel.public-addresses")]
    [InlineData("tunnel.smtp.greeting-delay = -1s", "tunnel.smtp.greeting-delay")]
    [InlineData("tunnel.smtp.greeting-pass-ttl = -1s", "tunnel.smtp.greeting-pass-ttl")]
    [InlineData("tunnel.smtp.greeting-pass-max = 0", "tunnel.smtp.greeting-pass-max")]
    [InlineData("tunnel.smtp.final-timeout = 0s", "tunnel.smtp.final-timeout")]
    [InlineData("tunnel.smtp.max-connections = 0", "tunnel.smtp.max-connections")]
    [InlineData("tunnel.smtp.max-connections-per-client = 0", "tunnel.smtp.max-connections-per-client")]
    [InlineData("tunnel.smtp.max-received-headers = 0", "tunnel.smtp.max-received-headers")]
    [InlineData("tunnel.smtp.max-command-line = 100", "tunnel.smtp.max-command-line")]
    [InlineData("tunnel.tls.certificate = \"/nonexistent/cert.pem\"", "tunnel.tls.key")] // only one of the pair
    [InlineData("tunnel.tls { certificate = \"/nonexistent/cert.pem\", key = \"/nonexistent/key.pem\" }", "tunnel.tls.certificate")]
    public void A_bad_value_names_its_key(string hocon, string key)
    {
        var problem = Assert.Throws<ConfigurationException>(() => Read(hocon));

        Assert.Contains(problem.Problems, p => p.StartsWith(key + ":"));
    }

    [Fact]
    public void A_PEM_pair_is_loaded_and_a_file_that_is_not_PEM_is_refused()
    {
        var (certificate, key) = Integration.TestCertificate.WritePem();

        var loaded = Read($"tunnel.tls {{ certificate = {ConfigLoader.Quote(certificate)}, key = {ConfigLoader.Quote(key)} }}").Ingress.Certificates;

        Assert.NotNull(loaded);
        Assert.True(loaded.Default.Leaf.HasPrivateKey);
        File.WriteAllText(key, "not a key");
        var problem = Assert.Throws<ConfigurationException>(() =>
            Read($"tunnel.tls {{ certificate = {ConfigLoader.Quote(certificate)}, key = {ConfigLoader.Quote(key)} }}"));
        Assert.Contains(problem.Problems, p => p.StartsWith("tunnel.tls.certificate:"));
    }
}
