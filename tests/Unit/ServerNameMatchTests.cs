using Tunnel.Cluster.Ingress.Tls;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>RFC 6125 §6.4 as a sender checks our certificate, applied to choose it by SNI.</summary>
public sealed class ServerNameMatchTests
{
    [Theory]
    [InlineData("mx1.example.com", "mx1.example.com", true)]
    [InlineData("MX1.Example.COM", "mx1.example.com", true)] // §6.4.1: case-insensitive
    [InlineData("mx1.example.com.", "mx1.example.com", true)] // a trailing dot is the same name
    [InlineData("mx1.example.com", "mx2.example.com", false)]
    [InlineData("*.example.com", "mx1.example.com", true)] // §6.4.3: one left-most label
    [InlineData("*.example.com", "example.com", false)] // never the bare domain
    [InlineData("*.example.com", "a.mx1.example.com", false)] // never two labels
    [InlineData("*.example.com", "mx1.example.org", false)]
    [InlineData("*.example.com", "mx1example.com", false)]
    [InlineData("mx*.example.com", "mx1.example.com", false)] // no partial-label wildcard
    [InlineData("*1.example.com", "mx1.example.com", false)]
    [InlineData("m*1.example.com", "mx1.example.com", false)]
    [InlineData("mx1.*.com", "mx1.example.com", false)] // only the left-most label
    [InlineData("*.*.com", "mx1.example.com", false)]
    [InlineData("*.com", "example.com", false)] // a wildcard over a top-level domain
    [InlineData("*", "localhost", false)]
    [InlineData("xn--*.example.com", "xn--bcher-kva.example.com", false)] // not inside an A-label either
    [InlineData("*.xn--mnchen-3ya.example", "mx.xn--mnchen-3ya.example", true)]
    public void A_certificate_name_covers_a_host(string presented, string host, bool matches) =>
        Assert.Equal(matches, ServerNameMatch.Matches(presented, ServerNameMatch.Normalise(host)!));

    private static readonly string[][] Certificates =
    [
        ["*.example.com"],
        ["mx1.example.com", "mx1.example.org"],
        ["*.example.com", "example.com"],
        ["mx.other.example"],
    ];

    [Theory]
    [InlineData("mx1.example.com", 1)] // the exact name beats the wildcard listed before it
    [InlineData("mx1.example.org", 1)] // any of a certificate's names
    [InlineData("mx2.example.com", 0)] // among wildcards, the first listed
    [InlineData("example.com", 2)] // the bare domain: only the certificate naming it
    [InlineData("MX.OTHER.EXAMPLE.", 3)]
    [InlineData("a.mx2.example.com", -1)] // no match: the default
    [InlineData("unrelated.example", -1)]
    [InlineData("", -1)] // no SNI: the default
    [InlineData(null, -1)]
    [InlineData("192.0.2.1", -1)] // RFC 6066 §3: an address is not a host name
    [InlineData("[2001:db8::1]", -1)]
    public void The_client_s_server_name_chooses_the_certificate(string? serverName, int expected) =>
        Assert.Equal(expected, ServerNameMatch.Choose(serverName, Certificates, c => c));
}
