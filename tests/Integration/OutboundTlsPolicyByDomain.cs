using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// Outbound TLS levels through the node (issue 14): example.com at verify (tunnel.outbound.tls-policy-by-domain)
/// whose MX presents a certificate no trusted CA issued is deferred with 4.7.5 and never sent in
/// plaintext; at the default may, an MX whose STARTTLS handshake fails gets the mail in plaintext
/// on the same host, and the log says tls=none.
/// </summary>
public sealed class OutboundTlsPolicyByDomain
{
    [Fact]
    public async Task At_verify_an_unverifiable_MX_is_deferred_and_never_sent_the_message()
    {
        await using var world = await TunnelWorld.StartAsync("outbound.tls-policy-by-domain { \"example.com\" = verify }");
        world.ExampleCom.Certificate = RemoteCa.SelfSigned("mx1.example.com");

        var id = TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, ["user@example.com"]));

        await world.WaitForLogAsync(l => l.Contains($"{id}: to=<user@example.com>") && l.Contains("dsn=4.7.5, status=deferred"), "the deferral");
        Assert.Contains("certificate not verified: certificate of CN=mx1.example.com not trusted",
            world.LogLine(l => l.Contains($"{id}: to=<user@example.com>") && l.Contains("status=deferred")));
        Assert.Empty(world.ExampleCom.Messages);
    }

    [Fact]
    public async Task At_may_a_failed_handshake_goes_on_in_plaintext_and_the_log_says_so()
    {
        await using var world = await TunnelWorld.StartAsync();
        world.ExampleCom.Tls = SinkTls.FailHandshake;

        var id = TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, ["user@example.com"]));

        Assert.Contains("family=ipv6, tls=none, delay=", await world.SentLineAsync(id));
        Assert.Null(Assert.Single(world.ExampleCom.Messages).TlsProtocol);
        Assert.Equal(2, world.ExampleCom.ConnectionCount);
    }
}
