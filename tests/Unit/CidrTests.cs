using System.Net;
using Tunnel.Cluster.Routing;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// Address ranges as <c>tunnel.outbound.prohibited</c> writes them: what a text means, and which
/// addresses a range holds. IPv4 and IPv6 are tested apart (family-specific code is where
/// copy-paste bugs hide); an IPv4-mapped IPv6 address is the IPv4 address it maps.
/// </summary>
public sealed class CidrTests
{
    [Theory]
    // IPv4: the edges of a byte-aligned range and of one that is not.
    [InlineData("10.0.0.0/8", "10.0.0.0", true)]
    [InlineData("10.0.0.0/8", "10.255.255.255", true)]
    [InlineData("10.0.0.0/8", "9.255.255.255", false)]
    [InlineData("10.0.0.0/8", "11.0.0.0", false)]
    [InlineData("192.168.1.0/24", "192.168.1.255", true)]
    [InlineData("192.168.1.0/24", "192.168.2.0", false)]
    [InlineData("172.16.0.0/12", "172.16.0.0", true)]
    [InlineData("172.16.0.0/12", "172.31.255.255", true)]
    [InlineData("172.16.0.0/12", "172.15.255.255", false)]
    [InlineData("172.16.0.0/12", "172.32.0.0", false)]
    [InlineData("224.0.0.0/4", "239.255.255.255", true)]
    [InlineData("224.0.0.0/4", "240.0.0.0", false)]
    [InlineData("224.0.0.0/4", "223.255.255.255", false)]
    [InlineData("192.0.2.0/25", "192.0.2.127", true)]
    [InlineData("192.0.2.0/25", "192.0.2.128", false)]
    [InlineData("192.0.2.0/31", "192.0.2.1", true)]
    [InlineData("192.0.2.0/31", "192.0.2.2", false)]
    // IPv6: the same edges.
    [InlineData("fe80::/10", "fe80::", true)]
    [InlineData("fe80::/10", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true)]
    [InlineData("fe80::/10", "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false)]
    [InlineData("fe80::/10", "fec0::", false)]
    [InlineData("2001:db8::/32", "2001:db8:ffff:ffff::1", true)]
    [InlineData("2001:db8::/32", "2001:db9::", false)]
    [InlineData("2001:db8::/32", "2001:db7:ffff::", false)]
    [InlineData("2001:db8:1234::/47", "2001:db8:1235:ffff::", true)]
    [InlineData("2001:db8:1234::/47", "2001:db8:1236::", false)]
    [InlineData("2001:db8:1234::/47", "2001:db8:1233:ffff::", false)]
    [InlineData("ff00::/8", "ff02::1", true)]
    [InlineData("ff00::/8", "fe02::1", false)]
    [InlineData("2001:db8::/127", "2001:db8::1", true)]
    [InlineData("2001:db8::/127", "2001:db8::2", false)]
    // Host routes, written with and without the length.
    [InlineData("192.0.2.10/32", "192.0.2.10", true)]
    [InlineData("192.0.2.10/32", "192.0.2.11", false)]
    [InlineData("192.0.2.10", "192.0.2.10", true)]
    [InlineData("192.0.2.10", "192.0.2.9", false)]
    [InlineData("255.255.255.255/32", "255.255.255.255", true)]
    [InlineData("255.255.255.255/32", "255.255.255.254", false)]
    [InlineData("2001:db8::25/128", "2001:db8::25", true)]
    [InlineData("2001:db8::25/128", "2001:db8::26", false)]
    [InlineData("::1/128", "::1", true)]
    [InlineData("::/128", "::", true)]
    [InlineData("::/128", "::1", false)]
    [InlineData("2001:db8::25", "2001:db8::25", true)]
    [InlineData("2001:db8::25", "2001:db8::24", false)]
    // /0 holds its whole family and nothing of the other.
    [InlineData("0.0.0.0/0", "0.0.0.0", true)]
    [InlineData("0.0.0.0/0", "255.255.255.255", true)]
    [InlineData("0.0.0.0/0", "2001:db8::1", false)]
    [InlineData("::/0", "2001:db8::1", true)]
    [InlineData("::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true)]
    [InlineData("::/0", "198.51.100.1", false)]
    // Host bits in the network are ignored.
    [InlineData("10.1.2.3/8", "10.200.0.1", true)]
    [InlineData("10.1.2.3/8", "11.1.2.3", false)]
    [InlineData("2001:db8::1/32", "2001:db8:ffff::", true)]
    // The families never mix.
    [InlineData("127.0.0.0/8", "::1", false)]
    [InlineData("::1/128", "127.0.0.1", false)]
    [InlineData("::/128", "0.0.0.0", false)]
    // An IPv4-mapped IPv6 address is the IPv4 address it maps (how ::ffff:127.0.0.1 reaches loopback).
    [InlineData("127.0.0.0/8", "::ffff:127.0.0.1", true)]
    [InlineData("127.0.0.0/8", "::ffff:128.0.0.1", false)]
    [InlineData("10.0.0.0/8", "::ffff:10.1.2.3", true)]
    [InlineData("0.0.0.0/0", "::ffff:198.51.100.1", true)]
    [InlineData("::/0", "::ffff:198.51.100.1", false)]
    // An IPv4-mapped range is the IPv4 range it maps: otherwise it could never match anything.
    [InlineData("::ffff:127.0.0.0/104", "127.0.0.1", true)]
    [InlineData("::ffff:127.0.0.0/104", "::ffff:127.255.0.1", true)]
    [InlineData("::ffff:127.0.0.0/104", "128.0.0.1", false)]
    [InlineData("::ffff:0:0/96", "198.51.100.1", true)]
    [InlineData("::ffff:0:0/96", "2001:db8::1", false)]
    // A zone does not change which address it is.
    [InlineData("fe80::/10", "fe80::1%2", true)]
    [InlineData("fe80::1/128", "fe80::1%3", true)]
    public void Contains(string range, string address, bool expected)
    {
        var cidr = Cidr.Parse(range);

        Assert.NotNull(cidr);
        Assert.Equal(expected, cidr.Contains(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("127.0.0.0/8", "127.0.0.0/8")]
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]
    [InlineData("192.0.2.1/32", "192.0.2.1/32")]
    [InlineData("192.0.2.1", "192.0.2.1/32")]
    [InlineData("fe80::/10", "fe80::/10")]
    [InlineData("::/0", "::/0")]
    [InlineData("::/128", "::/128")]
    [InlineData("2001:DB8::/32", "2001:db8::/32")]
    [InlineData("2001:db8::1", "2001:db8::1/128")]
    [InlineData("2001:db8::1/128", "2001:db8::1/128")]
    [InlineData("10.1.2.3/8", "10.1.2.3/8")]
    [InlineData("::ffff:127.0.0.0/104", "127.0.0.0/8")]
    [InlineData("::ffff:192.0.2.10", "192.0.2.10/32")]
    [InlineData("::ffff:0:0/96", "0.0.0.0/0")]
    public void Parses(string text, string expected)
    {
        Assert.Equal(expected, Cidr.Parse(text)?.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("/8")]
    [InlineData("10.0.0.0/")]
    [InlineData("10.0.0.0/x")]
    [InlineData("10.0.0.0/8/8")]
    [InlineData("10.0.0.0/-1")]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.0/128")]
    [InlineData("::/129")]
    [InlineData("::/-1")]
    [InlineData("256.0.0.0/8")]
    [InlineData("10.0.0.0.0/8")]
    [InlineData("example.com/8")]
    [InlineData("localhost")]
    [InlineData("2001:db8:::1/64")]
    [InlineData("10.0.0.0 /8")]
    // Shorthands IPAddress.TryParse accepts with another meaning: "10/8" would be 0.0.0.10/8
    // (it is 0.0.0.0/8, not 10.0.0.0/8), "010.0.0.0" octal 8.0.0.0. A prohibited range must
    // mean what the operator read, so only dotted quads are IPv4.
    [InlineData("10/8")]
    [InlineData("127.1/8")]
    [InlineData("192.168.1/24")]
    [InlineData("010.0.0.0/8")]
    [InlineData("0x7f.0.0.0/8")]
    [InlineData("2130706433/32")]
    // Only digits after the slash.
    [InlineData("10.0.0.0/+8")]
    [InlineData("10.0.0.0/ 8")]
    [InlineData("10.0.0.0/8 ")]
    public void Refuses(string text)
    {
        Assert.Null(Cidr.Parse(text));
    }

    [Fact]
    public void Every_default_prohibited_range_parses_and_holds_its_network()
    {
        foreach (var text in RoutingPolicy.DefaultProhibited)
        {
            var range = Cidr.Parse(text);

            Assert.NotNull(range);
            Assert.Equal(text, range.ToString());
            Assert.True(range.Contains(range.Network), text);
        }
    }
}
