using System.Net;
using Tunnel.Cluster.Routing;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// <c>tunnel.outbound.families = auto</c>: which families this node reaches other mail servers
/// over, judged from its interface addresses. Loopback, link-local and unique-local addresses
/// reach no one; private IPv4 does, through NAT.
/// </summary>
public sealed class AddressFamilyDetectionTests
{
    [Theory]
    [InlineData("", AddressFamilies.None)]
    // Reach nothing outside this host or link.
    [InlineData("127.0.0.1", AddressFamilies.None)]
    [InlineData("127.0.1.1", AddressFamilies.None)]
    [InlineData("::1", AddressFamilies.None)]
    [InlineData("127.0.0.1 ::1", AddressFamilies.None)]
    [InlineData("169.254.10.20", AddressFamilies.None)]
    [InlineData("169.254.0.1 169.254.255.254", AddressFamilies.None)]
    [InlineData("fe80::1", AddressFamilies.None)]
    [InlineData("fe80::1%2", AddressFamilies.None)]
    [InlineData("fec0::1", AddressFamilies.None)] // deprecated site-local
    [InlineData("fd00::1", AddressFamilies.None)] // unique-local (RFC 4193)
    [InlineData("fdff:ffff::1", AddressFamilies.None)]
    [InlineData("fc00::1", AddressFamilies.None)]
    [InlineData("127.0.0.1 ::1 169.254.1.1 fe80::1 fd00::1", AddressFamilies.None)]
    // IPv4: private addresses count (NAT), so do public ones.
    [InlineData("10.0.0.5", AddressFamilies.IPv4)]
    [InlineData("172.16.0.1", AddressFamilies.IPv4)]
    [InlineData("192.168.1.2", AddressFamilies.IPv4)]
    [InlineData("100.64.0.1", AddressFamilies.IPv4)]
    [InlineData("198.51.100.7", AddressFamilies.IPv4)]
    [InlineData("169.253.0.1", AddressFamilies.IPv4)] // beside link-local, not in it
    [InlineData("169.255.0.1", AddressFamilies.IPv4)]
    [InlineData("127.0.0.1 10.0.0.5 fe80::5", AddressFamilies.IPv4)]
    [InlineData("10.0.0.5 fd00::5 fe80::5", AddressFamilies.IPv4)] // a home network with only ULA IPv6
    // IPv6: global unicast.
    [InlineData("2001:db8::7", AddressFamilies.IPv6)]
    [InlineData("2a00:1450:4001::1", AddressFamilies.IPv6)]
    [InlineData("fbff::1", AddressFamilies.IPv6)] // just below fc00::/7
    [InlineData("fe00::1", AddressFamilies.IPv6)] // just below fe80::/10
    [InlineData("::1 fe80::1 2001:db8::7", AddressFamilies.IPv6)]
    [InlineData("127.0.0.1 169.254.1.1 2001:db8::7", AddressFamilies.IPv6)] // the draft's IPv6-only host
    // Both.
    [InlineData("198.51.100.7 2001:db8::7", AddressFamilies.Both)]
    [InlineData("10.0.0.5 2001:db8::7 fd00::5", AddressFamilies.Both)]
    public void Detects(string addresses, AddressFamilies expected)
    {
        var list = addresses.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(IPAddress.Parse);

        Assert.Equal(expected, AddressFamilyDetection.Detect(list));
    }
}
