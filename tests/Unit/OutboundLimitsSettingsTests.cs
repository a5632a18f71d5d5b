using Tunnel.Cluster.Outbound;
using Tunnel.Node.Configuration;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// The outbound limits of issue 13 in cluster.hocon (tunnel.outbound.connections-per-address,
/// max-connections, max-content-in-flight, max-spool-reads, capacity-wait): the shipped defaults
/// are the documented ones and those of <see cref="OutboundSettings"/>, and a bad value names its key.
/// </summary>
public sealed class OutboundLimitsSettingsTests
{
    private static TunnelSettings Read(string hocon = "") =>
        SettingsReader.Read(ConfigLoader.Overlay(hocon, ConfigLoader.Load(null, _ => null)));

    [Fact]
    public void The_defaults_are_the_documented_ones()
    {
        var outbound = Read().Outbound;
        var record = new OutboundSettings("h", 25, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        Assert.Equal((20, 100, 256L << 20, 8, TimeSpan.FromMinutes(1)),
            (outbound.ConnectionsPerAddress, outbound.MaxConnections, outbound.MaxContentInFlight, outbound.MaxSpoolReads, outbound.Wait));
        Assert.Equal((record.ConnectionsPerAddress, record.MaxConnections, record.MaxContentInFlight, record.MaxSpoolReads, record.Wait),
            (outbound.ConnectionsPerAddress, outbound.MaxConnections, outbound.MaxContentInFlight, outbound.MaxSpoolReads, outbound.Wait));
    }

    [Fact]
    public void Limits_are_read_and_a_zero_wait_is_allowed()
    {
        var outbound = Read("""
            tunnel.outbound { connections-per-address = 2, max-connections = 7, max-content-in-flight = 64KiB, max-spool-reads = 3, capacity-wait = 0s }
            """).Outbound;

        Assert.Equal((2, 7, 65536L, 3, TimeSpan.Zero),
            (outbound.ConnectionsPerAddress, outbound.MaxConnections, outbound.MaxContentInFlight, outbound.MaxSpoolReads, outbound.Wait));
    }

    [Theory]
    [InlineData("tunnel.outbound.connections-per-address = 0", "tunnel.outbound.connections-per-address")]
    [InlineData("tunnel.outbound.max-connections = 0", "tunnel.outbound.max-connections")]
    [InlineData("tunnel.outbound.max-content-in-flight = 1KiB", "tunnel.outbound.max-content-in-flight")]
    [InlineData("tunnel.outbound.max-content-in-flight = lots", "tunnel.outbound.max-content-in-flight")]
    [InlineData("tunnel.outbound.max-spool-reads = 0", "tunnel.outbound.max-spool-reads")]
    [InlineData("tunnel.outbound.capacity-wait = -1s", "tunnel.outbound.capacity-wait")]
    [InlineData("tunnel.outbound.capacity-wait = soon", "tunnel.outbound.capacity-wait")]
    [InlineData("tunnel.outbound.cluster-connections-per-address = 0", "tunnel.outbound.cluster-connections-per-address")]
    [InlineData("tunnel.outbound.cluster-connections-per-address = many", "tunnel.outbound.cluster-connections-per-address")]
    public void A_bad_value_names_its_key(string hocon, string key)
    {
        var problem = Assert.Throws<ConfigurationException>(() => Read(hocon));

        Assert.Contains(problem.Problems, p => p.StartsWith(key + ":"));
    }

    [Fact]
    public void The_cluster_wide_limit_is_off_unless_given()
    {
        Assert.Null(Read().Outbound.ClusterConnectionsPerAddress);
        Assert.Null(Read("tunnel.outbound.cluster-connections-per-address = off").Outbound.ClusterConnectionsPerAddress);
        Assert.Equal(40, Read("tunnel.outbound.cluster-connections-per-address = 40").Outbound.ClusterConnectionsPerAddress);
    }

    [Theory]
    [InlineData(40, 1, 20, 20)]  // one node: never more than its own limit
    [InlineData(40, 2, 20, 20)]
    [InlineData(40, 3, 20, 13)]  // rounded down: 39 in all, never 41
    [InlineData(40, 8, 20, 5)]
    [InlineData(2, 2, 20, 1)]
    [InlineData(2, 5, 20, 1)]    // more members than the limit: one each
    [InlineData(40, 0, 20, 20)]  // before the node sees any member (it is one)
    public void A_node_takes_an_even_share_rounded_down(int clusterLimit, int members, int nodeLimit, int share) =>
        Assert.Equal(share, ClusterShare.PerNode(clusterLimit, members, nodeLimit));
}
