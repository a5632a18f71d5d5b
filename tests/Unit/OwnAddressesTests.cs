using System.Net;
using Tunnel.Cluster.Routing;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// Which endpoints are this tunnel (the loop rule). Own addresses count on every port; listen
/// endpoints on their port only, compared as address and port; a wildcard listen endpoint
/// covers the machine's addresses of its family, loopback included.
/// </summary>
public sealed class OwnAddressesTests
{
    [Theory]
    // tunnel.own-addresses: ours on every port, in any spelling.
    [InlineData("192.0.2.10", 25, true)]
    [InlineData("192.0.2.10", 2525, true)]
    [InlineData("::ffff:192.0.2.10", 25, true)]
    [InlineData("2001:db8:7::10", 25, true)]
    [InlineData("2001:db8:7:0:0:0:0:10", 587, true)]
    [InlineData("192.0.2.11", 25, false)]
    [InlineData("2001:db8:7::11", 25, false)]
    // Listen endpoints: address and port.
    [InlineData("198.51.100.5", 25, true)]
    [InlineData("198.51.100.5", 26, false)]
    [InlineData("::ffff:198.51.100.5", 25, true)]
    [InlineData("2001:db8:5::5", 2525, true)]
    [InlineData("2001:db8:5::5", 25, false)]
    [InlineData("127.0.0.1", 25, false)]
    [InlineData("::1", 25, false)]
    public void Without_wildcards(string address, int port, bool ours)
    {
        var own = new OwnAddresses(
            [IPAddress.Parse("192.0.2.10"), IPAddress.Parse("2001:db8:7::10")],
            [Endpoint("198.51.100.5", 25), Endpoint("2001:db8:5::5", 2525)],
            [IPAddress.Parse("198.51.100.5"), IPAddress.Parse("10.0.0.1"), IPAddress.Loopback, IPAddress.IPv6Loopback]);

        Assert.Equal(ours, own.IsOurs(Endpoint(address, port)));
    }

    [Theory]
    // 0.0.0.0:2525 covers every IPv4 address of this machine on 2525, all of 127/8 included.
    [InlineData("127.0.0.1", 2525, true)]
    [InlineData("127.0.0.2", 2525, true)]
    [InlineData("127.255.255.254", 2525, true)]
    [InlineData("::ffff:127.0.0.2", 2525, true)]
    [InlineData("10.0.0.1", 2525, true)]
    [InlineData("127.0.0.2", 25, false)]
    [InlineData("10.0.0.1", 25, false)]
    [InlineData("198.51.100.9", 2525, false)]
    // "Connect to 0.0.0.0" reaches this host (Linux), so it is ours too under a wildcard.
    [InlineData("0.0.0.0", 2525, true)]
    [InlineData("0.0.0.0", 25, false)]
    // An IPv4 wildcard says nothing about IPv6 (our IPv6 sockets are IPV6_V6ONLY).
    [InlineData("::1", 2525, false)]
    [InlineData("fd00::1", 2525, false)]
    public void IPv4_wildcard(string address, int port, bool ours)
    {
        var own = new OwnAddresses([], [new IPEndPoint(IPAddress.Any, 2525)], [IPAddress.Loopback, IPAddress.Parse("10.0.0.1"), IPAddress.Parse("fd00::1")]);

        Assert.Equal(ours, own.IsOurs(Endpoint(address, port)));
    }

    [Theory]
    [InlineData("::1", 2525, true)]
    [InlineData("fd00::1", 2525, true)]
    [InlineData("fe80::1%2", 2525, true)]   // a zone does not make it another address
    [InlineData("fe80::1", 2525, true)]
    [InlineData("::", 2525, true)]
    [InlineData("fd00::2", 2525, false)]
    [InlineData("::1", 25, false)]
    [InlineData("127.0.0.1", 2525, false)]
    [InlineData("10.0.0.1", 2525, false)]
    public void IPv6_wildcard(string address, int port, bool ours)
    {
        var own = new OwnAddresses([], [new IPEndPoint(IPAddress.IPv6Any, 2525)],
            [IPAddress.IPv6Loopback, IPAddress.Parse("fd00::1"), IPAddress.Parse("fe80::1%3"), IPAddress.Parse("10.0.0.1")]);

        Assert.Equal(ours, own.IsOurs(Endpoint(address, port)));
    }

    [Fact]
    public void An_IPv4_mapped_listen_endpoint_is_its_IPv4_endpoint()
    {
        var own = new OwnAddresses([IPAddress.Parse("::ffff:192.0.2.10")], [Endpoint("::ffff:198.51.100.5", 25)], []);

        Assert.True(own.IsOurs(Endpoint("192.0.2.10", 1)));
        Assert.True(own.IsOurs(Endpoint("198.51.100.5", 25)));
        Assert.False(own.IsOurs(Endpoint("198.51.100.5", 26)));
    }

    [Fact]
    public void Nothing_configured_means_nothing_is_ours()
    {
        var own = new OwnAddresses([], [], [IPAddress.Loopback]);

        Assert.False(own.IsOurs(Endpoint("127.0.0.1", 25)));
        Assert.False(own.IsOurs(Endpoint("0.0.0.0", 25)));
    }

    private static IPEndPoint Endpoint(string address, int port) => new(IPAddress.Parse(address), port);
}
