using System.Net;
using Tunnel.Cluster.Ingress;
using Tunnel.Cluster.Ingress.Protocol;
using Tunnel.Messages.Mail;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// DESIGN: a node is never an open relay. A recipient is taken only for a configured domain
/// and only with a local part that asks nothing more of the next hop, whoever the client is.
/// Addresses go through the real parser, so the policy sees what the session would give it.
/// </summary>
public sealed class RelayPolicyTests
{
    private static readonly RelayPolicy Policy = new(new HashSet<string> { "ours.example", "xn--bcher-kva.example" });

    private static readonly IPAddress[] Clients =
    [
        IPAddress.Loopback, IPAddress.IPv6Loopback, IPAddress.Parse("::ffff:127.0.0.1"), IPAddress.Parse("127.0.0.2"),
        IPAddress.Parse("192.0.2.1"), IPAddress.Parse("2001:db8::7"), IPAddress.Any, IPAddress.IPv6Any,
    ];

    [Theory]
    [InlineData("<u@ours.example>", true)]
    [InlineData("<U@OURS.EXAMPLE>", true)]
    [InlineData("<u@ours.example.>", true)]
    [InlineData("<u@b\u00fccher.example>", true)]
    [InlineData("<first.last+tag@ours.example>", true)]
    [InlineData("<\"quoted user\"@ours.example>", true)]
    [InlineData("<@elsewhere.example:u@ours.example>", true)] // the source route is dropped
    [InlineData("<u@other.example>", false)]
    [InlineData("<u@ours.example.other.example>", false)]
    [InlineData("<u@sub.ours.example>", false)]
    [InlineData("<u@oursexample>", false)]
    [InlineData("<u@[192.0.2.9]>", false)]
    [InlineData("<u@[127.0.0.1]>", false)]
    [InlineData("<u@[IPv6:2001:db8::1]>", false)]
    [InlineData("<u@[IPv6:::1]>", false)]
    [InlineData("<@ours.example:u@other.example>", false)]
    // Percent hack and bang path: route further once the next hop sees them.
    [InlineData("<u%other.example@ours.example>", false)]
    [InlineData("<u%other.example%third.example@ours.example>", false)]
    [InlineData("<other.example!u@ours.example>", false)]
    // Quoted local parts hiding another address.
    [InlineData("<\"u@other.example\"@ours.example>", false)]
    [InlineData("<\"u\\@other.example\"@ours.example>", false)]
    [InlineData("<\"u%other.example\"@ours.example>", false)]
    [InlineData("<\"other.example!u\"@ours.example>", false)]
    public void Accepts_only_plain_recipients_in_our_domains(string path, bool accepted)
    {
        var parsed = AddressParser.ParsePath(path, allowNull: false);
        Assert.True(parsed.Ok, parsed.Error);

        foreach (var client in Clients)
            Assert.True(accepted == Policy.Accepts(parsed.Mailbox!, client), $"{path} from {client}");
    }

    [Fact]
    public void No_configured_domain_means_nothing_is_relayed()
    {
        var none = new RelayPolicy(new HashSet<string>());

        foreach (var client in Clients)
            Assert.False(none.Accepts(new Mailbox("u", "ours.example"), client));
    }
}
