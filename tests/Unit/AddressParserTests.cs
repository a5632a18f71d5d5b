using Tunnel.Cluster.Ingress.Protocol;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// RFC 5321 §4.1.2 paths: the local part kept exactly as sent, the domain normalised to one
/// spelling (lower case, no trailing dot, A-label), address literals in canonical form, limits of
/// §4.5.3.1 enforced, everything else refused.
/// </summary>
public sealed class AddressParserTests
{
    [Theory]
    [InlineData("<u@example.com>", "u", "example.com")]
    [InlineData("<First.Last@Example.COM>", "First.Last", "example.com")]
    [InlineData("<u@EXAMPLE.COM.>", "u", "example.com")]
    [InlineData("<u@b\u00fccher.example>", "u", "xn--bcher-kva.example")]
    [InlineData("<u@B\u00dcCHER.example>", "u", "xn--bcher-kva.example")]
    [InlineData("<u@xn--bcher-kva.example>", "u", "xn--bcher-kva.example")]
    [InlineData("<u@localhost>", "u", "localhost")]
    [InlineData("<u@a-b.c-d.example>", "u", "a-b.c-d.example")]
    [InlineData("<u@123.example>", "u", "123.example")]
    [InlineData("<!#$%&'*+-/=?^_`{|}~@example.com>", "!#$%&'*+-/=?^_`{|}~", "example.com")]
    [InlineData("<u%other.example@example.com>", "u%other.example", "example.com")]
    [InlineData("<other.example!u@example.com>", "other.example!u", "example.com")]
    [InlineData("<\"john doe\"@example.com>", "\"john doe\"", "example.com")]
    [InlineData("<\"u@other.example\"@example.com>", "\"u@other.example\"", "example.com")]
    [InlineData("<\"a>b\"@example.com>", "\"a>b\"", "example.com")]
    [InlineData("<\"a\\\"b\"@example.com>", "\"a\\\"b\"", "example.com")]
    [InlineData("<\"\"@example.com>", "\"\"", "example.com")]
    [InlineData("<j\u00fcrgen@example.com>", "j\u00fcrgen", "example.com")] // RFC 6531 syntax; the dialog decides
    // Address literals (RFC 5321 §4.1.3), in one canonical spelling.
    [InlineData("<u@[192.0.2.9]>", "u", "[192.0.2.9]")]
    [InlineData("<u@[IPv6:2001:db8::1]>", "u", "[ipv6:2001:db8::1]")]
    [InlineData("<u@[ipv6:2001:DB8:0:0:0:0:0:1]>", "u", "[ipv6:2001:db8::1]")]
    [InlineData("<u@[IPv6:::1]>", "u", "[ipv6:::1]")]
    // Source routes are accepted and dropped (RFC 5321 §4.1.1.3, appendix C).
    [InlineData("<@a.example,@b.example:u@c.example>", "u", "c.example")]
    [InlineData("<@a.example:u@c.example>", "u", "c.example")]
    [InlineData("<@[192.0.2.1]:u@c.example>", "u", "c.example")]
    public void Accepts(string path, string localPart, string domain)
    {
        var result = AddressParser.ParsePath(path, allowNull: false);

        Assert.True(result.Ok, result.Error);
        Assert.Equal(localPart, result.Mailbox!.LocalPart);
        Assert.Equal(domain, result.Mailbox.Domain);
        Assert.Equal(path.Length, result.Consumed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("u@example.com")]
    [InlineData(" <u@example.com>")]
    [InlineData("<u@example.com")]
    [InlineData("<>")]
    [InlineData("<u>")]
    [InlineData("<u@>")]
    [InlineData("<@example.com>")]
    [InlineData("<u@@example.com>")]
    [InlineData("<u@example@example.com>")]
    [InlineData("<.u@example.com>")]
    [InlineData("<u.@example.com>")]
    [InlineData("<u..v@example.com>")]
    [InlineData("<u v@example.com>")]
    [InlineData("<u(comment)@example.com>")]
    [InlineData("<u,v@example.com>")]
    [InlineData("<u\u0001@example.com>")]
    [InlineData("<\"unterminated@example.com>")]
    [InlineData("<\"a\"b@example.com>")]
    [InlineData("<\"a\u0001\"@example.com>")]
    [InlineData("<u@.example.com>")]
    [InlineData("<u@example..com>")]
    [InlineData("<u@example.com..>")]
    [InlineData("<u@.>")]
    [InlineData("<u@-example.com>")]
    [InlineData("<u@example-.com>")]
    [InlineData("<u@exa_mple.com>")]
    [InlineData("<u@exa mple.com>")]
    [InlineData("<u@example.com:25>")]
    [InlineData("<u@[192.0.2]>")]
    [InlineData("<u@[192.0.2.256]>")]
    [InlineData("<u@[192.0.2.9>")]
    [InlineData("<u@[]>")]
    [InlineData("<u@[2001:db8::1]>")]        // an IPv6 literal needs its tag
    [InlineData("<u@[IPv6:192.0.2.9]>")]     // the tag needs an IPv6 address
    [InlineData("<u@[IPv6:2001:db8::g]>")]
    [InlineData("<u@[0x7f.1]>")]
    [InlineData("<@a.example u@c.example>")]
    [InlineData("<@:u@c.example>")]
    [InlineData("<@a.example,b.example:u@c.example>")]
    [InlineData("<@a_b.example:u@c.example>")]
    [InlineData("<@a.example,@:u@c.example>")]
    public void Refuses(string path)
    {
        var result = AddressParser.ParsePath(path, allowNull: false);

        Assert.False(result.Ok);
        Assert.Null(result.Mailbox);
        Assert.False(string.IsNullOrEmpty(result.Error));
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void The_null_path_only_where_allowed(bool allowNull, bool ok)
    {
        var result = AddressParser.ParsePath("<> SIZE=10", allowNull);

        Assert.Equal(ok, result.Ok);
        Assert.Null(result.Mailbox);
        if (ok) Assert.Equal(2, result.Consumed);
    }

    [Theory]
    [InlineData("<u@example.com> SIZE=10", 15)]
    [InlineData("<\"a>b\"@example.com> BODY=8BITMIME", 19)]
    [InlineData("<u@example.com>>", 15)]
    public void Consumed_stops_at_the_closing_bracket(string text, int consumed)
    {
        var result = AddressParser.ParsePath(text, allowNull: false);

        Assert.True(result.Ok, result.Error);
        Assert.Equal(consumed, result.Consumed);
    }

    // RFC 5321 §4.5.3.1.1: local part at most 64 octets (UTF-8 octets, not characters).
    [Theory]
    [InlineData(64, true)]
    [InlineData(65, false)]
    public void Local_part_limit(int octets, bool ok) =>
        Assert.Equal(ok, AddressParser.ParsePath($"<{new string('l', octets)}@example.com>", allowNull: false).Ok);

    [Theory]
    [InlineData(32, true)]  // 32 × "ü" = 64 octets
    [InlineData(33, false)] // 66 octets, though only 33 characters
    public void Local_part_limit_counts_utf8_octets(int characters, bool ok) =>
        Assert.Equal(ok, AddressParser.ParsePath($"<{new string('\u00fc', characters)}@example.com>", allowNull: false).Ok);

    [Fact]
    public void Quoted_local_part_limit_includes_the_quotes()
    {
        Assert.True(AddressParser.ParsePath($"<\"{new string('q', 62)}\"@example.com>", allowNull: false).Ok);
        Assert.False(AddressParser.ParsePath($"<\"{new string('q', 63)}\"@example.com>", allowNull: false).Ok);
    }

    [Fact]
    public void A_label_longer_than_63_octets_is_refused()
    {
        Assert.True(AddressParser.ParsePath($"<u@{new string('d', 63)}.example>", allowNull: false).Ok);
        Assert.False(AddressParser.ParsePath($"<u@{new string('d', 64)}.example>", allowNull: false).Ok);
    }

    [Fact]
    public void A_path_too_long_for_256_octets_is_refused()
    {
        var domain = Domain(240);

        Assert.True(AddressParser.ParsePath($"<u@{domain}>", allowNull: false).Ok);
        Assert.False(AddressParser.ParsePath($"<{new string('l', 64)}@{domain}>", allowNull: false).Ok);
    }

    // RFC 5321 §4.5.3.1.2: a domain is at most 255 octets. 254 and 255 are not pinned: no such
    // name fits DNS (RFC 1035 §2.3.4 counts 255 octets in wire form, 253 in text), and IDNA
    // refuses them.
    [Theory]
    [InlineData(1, true)]
    [InlineData(253, true)]
    [InlineData(256, false)]
    [InlineData(300, false)]
    public void Domain_limit(int octets, bool ok)
    {
        var domain = Domain(octets);

        Assert.Equal(octets, domain.Length);
        Assert.Equal(ok ? domain : null, AddressParser.NormaliseDomain(domain));
        Assert.Equal(ok ? domain : null, AddressParser.NormaliseDomain(domain + "."));
    }

    [Fact]
    public void A_domain_over_255_octets_is_refused_inside_a_path_too()
    {
        var result = AddressParser.ParsePath($"<u@{Domain(256)}>", allowNull: false);

        Assert.False(result.Ok);
    }

    [Fact]
    public void Limits_apply_to_the_A_label_form_of_an_IDN()
    {
        // 50 × "ü" is a 56-octet A-label: five of them make 254 characters but 284 octets.
        var label50 = new string('\u00fc', 50);
        Assert.Equal(56, AddressParser.NormaliseDomain(label50)!.Length);
        Assert.Null(AddressParser.NormaliseDomain(string.Join('.', Enumerable.Repeat(label50, 5))));
        // 60 × "ü" is 60 characters but a 66-octet A-label, over the 63 of a label.
        Assert.Null(AddressParser.NormaliseDomain(new string('\u00fc', 60)));
    }

    [Theory]
    [InlineData("example.com", "example.com")]
    [InlineData("EXAMPLE.COM", "example.com")]
    [InlineData("Example.Com.", "example.com")]
    [InlineData("b\u00fccher.example", "xn--bcher-kva.example")]
    [InlineData("\u4f8b\u3048.\u30c6\u30b9\u30c8", "xn--r8jz45g.xn--zckzah")]
    [InlineData("[192.0.2.9]", "[192.0.2.9]")]
    [InlineData("[IPv6:2001:DB8::1]", "[ipv6:2001:db8::1]")]
    [InlineData("[IPv6:::ffff:192.0.2.9]", "[ipv6:::ffff:192.0.2.9]")]
    [InlineData("", null)]
    [InlineData(".", null)]
    [InlineData("..", null)]
    [InlineData("example.com..", null)]
    [InlineData("exa mple.com", null)]
    [InlineData("example.com/", null)]
    [InlineData("-example.com", null)]
    [InlineData("[192.0.2.9", null)]
    [InlineData("[]", null)]
    [InlineData("[1.2.3]", null)]
    [InlineData("[IPv6:]", null)]
    public void Normalises_domains(string domain, string? expected) => Assert.Equal(expected, AddressParser.NormaliseDomain(domain));

    /// <summary>A dotted domain of exactly <paramref name="octets"/> octets, labels of at most 63.</summary>
    private static string Domain(int octets)
    {
        var labels = new List<string>();
        var left = octets;
        while (left > 0)
        {
            var length = Math.Min(63, left);
            if (left - length == 1) length--; // never leave a remainder that only fits the dot
            labels.Add(new string((char)('a' + labels.Count % 26), length));
            left -= length + (left - length > 0 ? 1 : 0);
        }
        return string.Join('.', labels);
    }
}
