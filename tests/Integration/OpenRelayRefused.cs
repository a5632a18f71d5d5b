using System.Net.Sockets;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// DESIGN: never an open relay. A node that relays for example.com, with no authorised client
/// networks and verify-mx off, refuses every trick that would make it deliver elsewhere, from
/// IPv4 and IPv6 loopback alike (localhost is no friend).
/// </summary>
public sealed class OpenRelayRefused(OpenRelayRefused.Fixture fixture) : IClassFixture<OpenRelayRefused.Fixture>
{
    public sealed class Fixture() : IngressFixture();

    public static readonly TheoryData<string, string, AddressFamily> Tricks = Cross(
        ("<u@elsewhere.example>", "550 5.7.1"),
        ("<u@example.com.elsewhere.example>", "550 5.7.1"),
        ("<u@sub.example.com>", "550 5.7.1"),
        ("<@example.com:u@elsewhere.example>", "550 5.7.1"),        // source route stripped: elsewhere
        ("<u%elsewhere.example@example.com>", "550 5.7.1"),         // percent hack
        ("<elsewhere.example!u@example.com>", "550 5.7.1"),         // bang path
        ("<\"u@elsewhere.example\"@example.com>", "550 5.7.1"),     // quoted local part with @
        ("<\"u%elsewhere.example\"@example.com>", "550 5.7.1"),
        ("<u@[192.0.2.9]>", "550 5.7.1"),                           // address literals
        ("<u@[127.0.0.1]>", "550 5.7.1"),
        ("<u@[IPv6:2001:db8::1]>", "550 5.7.1"),
        ("<u@[IPv6:::1]>", "550 5.7.1"),
        ("<Postmaster>", "550 5.7.1"),
        ("<u@@example.com>", "501 5.1.3"),                          // double @
        ("<u@elsewhere.example@example.com>", "501 5.1.3"),
        ("<u@example.com@elsewhere.example>", "501 5.1.3"),
        ("u@elsewhere.example", "501 5.1.3"));

    [Theory]
    [MemberData(nameof(Tricks))]
    public async Task Every_trick_is_refused_at_RCPT(string path, string expected, AddressFamily family)
    {
        await using var client = await fixture.Node.OpenAsync(family);
        await client.CommandAsync("EHLO client.example");
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<a@ip4only.example>"));

        Assert.StartsWith(expected, await client.CommandAsync($"RCPT TO:{path}"));
        Assert.StartsWith("503 5.5.1", await client.CommandAsync("DATA")); // nothing was accepted
    }

    [Theory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public async Task Case_and_a_trailing_dot_are_normalised_and_accepted(AddressFamily family)
    {
        await using var client = await fixture.Node.OpenAsync(family);
        await client.CommandAsync("EHLO client.example");
        await client.CommandAsync("MAIL FROM:<a@ip4only.example>");

        Assert.StartsWith("250 2.1.5", await client.CommandAsync("RCPT TO:<User@EXAMPLE.COM.>"));
        Assert.StartsWith("250 2.1.5", await client.CommandAsync("RCPT TO:<@relay.example:u@example.com>"));
        Assert.StartsWith("250 2.0.0", await client.CommandAsync("RSET"));
    }

    private static TheoryData<string, string, AddressFamily> Cross(params (string Path, string Expected)[] cases)
    {
        var data = new TheoryData<string, string, AddressFamily>();
        foreach (var (path, expected) in cases)
        {
            data.Add(path, expected, AddressFamily.InterNetwork);
            data.Add(path, expected, AddressFamily.InterNetworkV6);
        }
        return data;
    }
}
