using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// DANE (RFC 7672) against real DNSSEC: bind9 signs example.com with a key the test made, a
/// second bind9 validates it, and the node (tunnel.dns.dnssec = on, example.com at dane) asks
/// only the validator. mx1.example.com's TLSA record (a wildcard *._tcp, since the next hop's port
/// is the test's) is DANE-EE 3 1 1: the MX whose certificate matches gets the mail (tls=dane);
/// one whose certificate does not is deferred with 4.7.5 and never sent anything.
/// </summary>
public sealed class DaneThroughBind9
{
    private static async Task<(Bind9Pair Dns, TunnelWorld World)> StartAsync(X509Certificate2 published)
    {
        var hash = Convert.ToHexString(SHA256.HashData(published.PublicKey.ExportSubjectPublicKeyInfo()));
        var dns = await Bind9Pair.StartAsync("example.com",
            "@ IN MX 1 mx1", $"mx1 IN A {TunnelWorld.TunnelV4}", "mx1 IN AAAA ::1", $"*._tcp.mx1 IN TLSA 3 1 1 {hash}");
        try
        {
            var world = await TunnelWorld.StartAsync(
                $"dns.servers = [\"{dns.Resolver}\"]\ndns.dnssec = on\noutbound.tls-policy-by-domain {{ \"example.com\" = dane }}");
            return (dns, world);
        }
        catch
        {
            await dns.DisposeAsync();
            throw;
        }
    }

    [Fact]
    public async Task The_MX_whose_certificate_matches_its_signed_TLSA_record_gets_the_mail()
    {
        var certificate = RemoteCa.SelfSigned("mx1.example.com");
        var (dns, world) = await StartAsync(certificate);
        await using var _ = dns;
        await using var __ = world;
        world.ExampleCom.Certificate = certificate;

        var id = TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, ["user@example.com"]));

        Assert.Contains(", tls=dane, tls-protocol=Tls1", await world.SentLineAsync(id));
        Assert.NotNull(Assert.Single(world.ExampleCom.Messages).TlsProtocol);
    }

    [Fact]
    public async Task An_MX_whose_certificate_does_not_match_is_deferred_and_never_sent_the_message()
    {
        using var published = RemoteCa.SelfSigned("mx1.example.com");
        var (dns, world) = await StartAsync(published);
        await using var _ = dns;
        await using var __ = world;
        world.ExampleCom.Certificate = RemoteCa.SelfSigned("mx1.example.com");

        var id = TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, ["user@example.com"]));

        await world.WaitForLogAsync(l => l.Contains($"{id}: to=<user@example.com>") && l.Contains("dsn=4.7.5, status=deferred"), "the deferral");
        Assert.Contains("no TLSA record matches the certificate of CN=mx1.example.com",
            world.LogLine(l => l.Contains($"{id}: to=<user@example.com>") && l.Contains("status=deferred")));
        Assert.Empty(world.ExampleCom.Messages);
    }
}
