using System.Net;
using Tunnel.Cluster.Routing;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// IPv4-embedded IPv6 addresses (RFC 6052) for a node that reaches IPv4-only servers through a
/// NAT64 gateway: the RFC's own examples, the prefixes configuration accepts, and the prefix
/// found from ipv4only.arpa (RFC 7050).
/// </summary>
public sealed class Nat64Tests
{
    /// <summary>RFC 6052 §2.4, Table 1 (192.0.2.33 under each prefix length), and the well-known prefix.</summary>
    [Theory]
    [InlineData("2001:db8::/32", "192.0.2.33", "2001:db8:c000:221::")]
    [InlineData("2001:db8:100::/40", "192.0.2.33", "2001:db8:1c0:2:21::")]
    [InlineData("2001:db8:122::/48", "192.0.2.33", "2001:db8:122:c000:2:2100::")]
    [InlineData("2001:db8:122:300::/56", "192.0.2.33", "2001:db8:122:3c0:0:221::")]
    [InlineData("2001:db8:122:344::/64", "192.0.2.33", "2001:db8:122:344:c0:2:2100::")]
    [InlineData("2001:db8:122:344::/96", "192.0.2.33", "2001:db8:122:344::192.0.2.33")]
    [InlineData("64:ff9b::/96", "192.0.2.33", "64:ff9b::192.0.2.33")]
    // Beyond the table: the other edges of the address space.
    [InlineData("64:ff9b::/96", "198.51.100.1", "64:ff9b::c633:6401")]
    [InlineData("64:ff9b::/96", "0.0.0.0", "64:ff9b::")]
    [InlineData("64:ff9b::/96", "255.255.255.255", "64:ff9b::ffff:ffff")]
    [InlineData("2001:db8:122:344::/64", "255.255.255.255", "2001:db8:122:344:ff:ffff:ff00:0")]
    [InlineData("2001:db8::/32", "255.255.255.255", "2001:db8:ffff:ffff::")]
    public void Synthesizes_RFC_6052_addresses(string prefix, string v4, string expected)
    {
        var nat64 = Nat64.Parse(prefix);

        Assert.NotNull(nat64);
        Assert.Equal(IPAddress.Parse(expected), nat64.Synthesize(IPAddress.Parse(v4)));
    }

    /// <summary>RFC 6052 §2.2: bits 64..71 (the "u" octet) stay zero whatever the IPv4 address and prefix length.</summary>
    [Theory]
    [InlineData("2001:db8::/32")]
    [InlineData("2001:db8:100::/40")]
    [InlineData("2001:db8:122::/48")]
    [InlineData("2001:db8:122:300::/56")]
    [InlineData("2001:db8:122:344::/64")]
    public void The_u_octet_is_skipped(string prefix)
    {
        var synthesized = Nat64.Parse(prefix)!.Synthesize(IPAddress.Parse("255.255.255.255")).GetAddressBytes();

        Assert.Equal(0, synthesized[8]);
        // Four 0xff octets around the u octet, nothing else but the prefix.
        Assert.Equal(4, synthesized.Count(b => b == 0xff));
    }

    [Theory]
    [InlineData("64:ff9b::/96", "64:ff9b::/96")]
    [InlineData("64:FF9B::/96", "64:ff9b::/96")]
    [InlineData("64:ff9b:1::/48", "64:ff9b:1::/48")] // RFC 8215's local-use prefix
    [InlineData("2001:db8::/32", "2001:db8::/32")]
    [InlineData("2001:db8:100::/40", "2001:db8:100::/40")]
    [InlineData("2001:db8:122::/48", "2001:db8:122::/48")]
    [InlineData("2001:db8:122:300::/56", "2001:db8:122:300::/56")]
    [InlineData("2001:db8:122:344::/64", "2001:db8:122:344::/64")]
    [InlineData("2001:db8:122:344::/96", "2001:db8:122:344::/96")]
    // Bits beyond the prefix are not part of it.
    [InlineData("64:ff9b::1/96", "64:ff9b::/96")]
    [InlineData("2001:db8:ffff::/32", "2001:db8::/32")]
    public void Parses(string text, string expected)
    {
        Assert.Equal(expected, Nat64.Parse(text)?.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("auto")]
    [InlineData("64:ff9b::")]
    [InlineData("64:ff9b::/")]
    [InlineData("/96")]
    [InlineData("64:ff9b::/x")]
    [InlineData("nat64.example/96")]
    // RFC 6052 §2.2 allows only these six lengths.
    [InlineData("64:ff9b::/0")]
    [InlineData("64:ff9b::/16")]
    [InlineData("64:ff9b::/31")]
    [InlineData("64:ff9b::/33")]
    [InlineData("64:ff9b::/95")]
    [InlineData("64:ff9b::/97")]
    [InlineData("64:ff9b::/128")]
    [InlineData("64:ff9b::/-96")]
    // An IPv4 "prefix" is not one.
    [InlineData("192.0.2.0/24")]
    [InlineData("192.0.2.0/32")]
    public void Refuses(string text)
    {
        Assert.Null(Nat64.Parse(text));
    }

    /// <summary>
    /// RFC 7050 §3: the AAAA records of ipv4only.arpa embed 192.0.0.170 or 192.0.0.171; where they
    /// sit says the prefix and its length.
    /// </summary>
    [Theory]
    [InlineData("64:ff9b::c000:aa", "64:ff9b::/96")] // RFC 7050 §3's example
    [InlineData("64:ff9b::192.0.0.171", "64:ff9b::/96")]
    [InlineData("64:ff9b::c000:ab 64:ff9b::c000:aa", "64:ff9b::/96")]
    [InlineData("2001:db8:122:344::c000:aa", "2001:db8:122:344::/96")]
    [InlineData("2001:db8:122:344:c0:0:aa00:0", "2001:db8:122:344::/64")]
    [InlineData("2001:db8:122:3c0:0:aa::", "2001:db8:122:300::/56")]
    [InlineData("2001:db8:122:c000:0:aa00::", "2001:db8:122::/48")]
    [InlineData("2001:db8:1c0:0:ab::", "2001:db8:100::/40")]
    [InlineData("2001:db8:c000:aa::", "2001:db8::/32")]
    // Answers that embed nothing well known are passed over.
    [InlineData("2001:db8::1 64:ff9b::c000:aa", "64:ff9b::/96")]
    [InlineData("192.0.0.170 64:ff9b::c000:aa", "64:ff9b::/96")]
    public void Discovers(string answers, string expected)
    {
        Assert.Equal(expected, Nat64.Discover(Addresses(answers))?.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("2001:db8::1")]
    [InlineData("64:ff9b::1")]
    [InlineData("64:ff9b::c000:ac")] // 192.0.0.172 is not a well-known address
    [InlineData("64:ff9b::c000:a9")]
    [InlineData("64:ff9b::aa:c000")]
    [InlineData("192.0.0.170 192.0.0.171")] // A records: no NAT64 in the way
    public void Discovers_nothing_without_a_well_known_address(string answers)
    {
        Assert.Null(Nat64.Discover(Addresses(answers)));
    }

    [Fact]
    public void A_discovered_prefix_reaches_the_well_known_addresses_where_DNS64_put_them()
    {
        var nat64 = Nat64.Discover([IPAddress.Parse("2001:db8:122:344:c0:0:aa00:0")])!;

        Assert.Equal(IPAddress.Parse("2001:db8:122:344:c0:0:aa00:0"), nat64.Synthesize(IPAddress.Parse("192.0.0.170")));
        Assert.Equal(IPAddress.Parse("2001:db8:122:344:c0:2:2100::"), nat64.Synthesize(IPAddress.Parse("192.0.2.33")));
    }

    private static IPAddress[] Addresses(string text) =>
        text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(IPAddress.Parse).ToArray();
}
