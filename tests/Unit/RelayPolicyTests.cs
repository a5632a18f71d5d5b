using System.Net;
using Tunnel.Cluster.Ingress;
using Tunnel.Cluster.Ingress.Protocol;
using Tunnel.Messages.Mail;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// DESIGN: a node is never an open relay. A recipient is taken for a configured domain (with a
/// local part that asks nothing more of the next hop), for a DNS-verified tunnel domain, or for
/// any domain from an authorised client network. Addresses go through the real parser, so the
/// policy sees what the session would give it.
/// </summary>
public sealed class RelayPolicyTests
{
    private static readonly HashSet<string> OurDomains = ["ours.example", "xn--bcher-kva.example"];
    private static readonly RelayPolicy Policy = new(new RelaySettings(OurDomains));
    private static readonly RelayPolicy Verifying = new(new RelaySettings(OurDomains, VerifyMx: true));
    private static readonly RelayPolicy WithClients = new(new RelaySettings(OurDomains,
        Clients: [IPNetwork.Parse("192.0.2.0/24"), IPNetwork.Parse("2001:db8:1::/48")]));

    private static readonly IPAddress[] Strangers =
    [
        IPAddress.Loopback, IPAddress.IPv6Loopback, IPAddress.Parse("::ffff:127.0.0.1"), IPAddress.Parse("127.0.0.2"),
        IPAddress.Parse("198.51.100.1"), IPAddress.Parse("2001:db8::7"), IPAddress.Any, IPAddress.IPv6Any,
    ];

    /// <summary>Every open-relay trick: none reaches anything but a domain we accept.</summary>
    public static readonly TheoryData<string, RelayDecision, RelayDecision> Addresses = new()
    {
        // path, decision without verify-mx, decision with verify-mx
        { "<u@ours.example>", RelayDecision.Accept, RelayDecision.Accept },
        { "<U@OURS.EXAMPLE>", RelayDecision.Accept, RelayDecision.Accept },
        { "<u@ours.example.>", RelayDecision.Accept, RelayDecision.Accept },
        { "<u@b\u00fccher.example>", RelayDecision.Accept, RelayDecision.Accept },
        { "<u@xn--bcher-kva.example>", RelayDecision.Accept, RelayDecision.Accept },
        { "<first.last+tag@ours.example>", RelayDecision.Accept, RelayDecision.Accept },
        { "<\"quoted user\"@ours.example>", RelayDecision.Accept, RelayDecision.Accept },
        { "<@elsewhere.example:u@ours.example>", RelayDecision.Accept, RelayDecision.Accept }, // source route dropped (RFC 5321 §4.1.1.3)
        { "<u@other.example>", RelayDecision.Deny, RelayDecision.VerifyDomain },
        { "<u@ours.example.other.example>", RelayDecision.Deny, RelayDecision.VerifyDomain },
        { "<u@sub.ours.example>", RelayDecision.Deny, RelayDecision.VerifyDomain },
        { "<@ours.example:u@other.example>", RelayDecision.Deny, RelayDecision.VerifyDomain },
        // Address literals: never, whatever DNS says.
        { "<u@[192.0.2.9]>", RelayDecision.Deny, RelayDecision.Deny },
        { "<u@[127.0.0.1]>", RelayDecision.Deny, RelayDecision.Deny },
        { "<u@[IPv6:2001:db8::1]>", RelayDecision.Deny, RelayDecision.Deny },
        { "<u@[IPv6:::1]>", RelayDecision.Deny, RelayDecision.Deny },
        // Percent hack and bang path: they route further once the next hop sees them.
        { "<u%other.example@ours.example>", RelayDecision.Deny, RelayDecision.Deny },
        { "<u%other.example%third.example@ours.example>", RelayDecision.Deny, RelayDecision.Deny },
        { "<other.example!u@ours.example>", RelayDecision.Deny, RelayDecision.Deny },
        { "<u%ours.example@other.example>", RelayDecision.Deny, RelayDecision.Deny },
        // Quoted local parts hiding another address.
        { "<\"u@other.example\"@ours.example>", RelayDecision.Deny, RelayDecision.Deny },
        { "<\"u\\@other.example\"@ours.example>", RelayDecision.Deny, RelayDecision.Deny },
        { "<\"u%other.example\"@ours.example>", RelayDecision.Deny, RelayDecision.Deny },
        { "<\"other.example!u\"@ours.example>", RelayDecision.Deny, RelayDecision.Deny },
    };

    [Theory]
    [MemberData(nameof(Addresses))]
    public void Strangers_get_the_same_answer_from_every_address(string path, RelayDecision plain, RelayDecision verifying)
    {
        var mailbox = Parse(path);

        foreach (var client in Strangers)
        {
            Assert.True(plain == Policy.Decide(mailbox, client), $"{path} from {client}");
            Assert.True(verifying == Verifying.Decide(mailbox, client), $"{path} from {client}, verify-mx on");
            Assert.True(plain == WithClients.Decide(mailbox, client), $"{path} from {client}, not in the client networks");
        }
    }

    [Theory]
    [InlineData("192.0.2.1")]
    [InlineData("192.0.2.254")]
    [InlineData("::ffff:192.0.2.7")]
    [InlineData("2001:db8:1::25")]
    [InlineData("2001:db8:1:ffff::1")]
    public void An_authorised_client_may_relay_to_any_domain_but_never_to_an_address_literal(string client)
    {
        var address = IPAddress.Parse(client);

        Assert.Equal(RelayDecision.Accept, WithClients.Decide(Parse("<u@ipv4only.example>"), address));
        Assert.Equal(RelayDecision.Accept, WithClients.Decide(Parse("<u@ours.example>"), address));
        Assert.Equal(RelayDecision.Deny, WithClients.Decide(Parse("<u@[192.0.2.9]>"), address));
        Assert.Equal(RelayDecision.Deny, WithClients.Decide(Parse("<u@[IPv6:2001:db8::1]>"), address));
    }

    [Theory]
    [InlineData("192.0.3.1")]
    [InlineData("192.0.1.255")]
    [InlineData("2001:db8:2::1")]
    [InlineData("::ffff:192.0.3.1")]
    public void A_client_just_outside_the_networks_is_a_stranger(string client) =>
        Assert.Equal(RelayDecision.Deny, WithClients.Decide(Parse("<u@ipv4only.example>"), IPAddress.Parse(client)));

    [Fact]
    public void No_configured_domain_means_nothing_is_relayed()
    {
        var none = new RelayPolicy(new RelaySettings(new HashSet<string>()));

        foreach (var client in Strangers)
            Assert.Equal(RelayDecision.Deny, none.Decide(new Mailbox("u", "ours.example"), client));
    }

    private static Mailbox Parse(string path)
    {
        var parsed = AddressParser.ParsePath(path, allowNull: false);
        Assert.True(parsed.Ok, parsed.Error);
        return parsed.Mailbox!;
    }
}
