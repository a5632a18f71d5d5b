using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// DANE for SMTP (RFC 7672) with example.com at dane and tunnel.dns.dnssec = on: the node trusts
/// its resolver's AD bit (here the test DNS server answering as a validating resolver) and looks
/// up TLSA for _&lt;port&gt;._tcp.mx1.example.com. A certificate matching the DANE-EE 3 1 1 record
/// gets the mail (tls=dane); one that does not is deferred with 4.7.5 and never sent in
/// plaintext; records the resolver did not validate count for nothing (opportunistic TLS).
/// </summary>
public sealed class DaneAuthenticatesTheMx
{
    private const string Settings = "dns.dnssec = on\noutbound.tls-policy-by-domain { \"example.com\" = dane }";

    private static byte[] Spki311(X509Certificate2 certificate) => SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo());

    [Fact]
    public async Task A_certificate_matching_the_validated_TLSA_record_gets_the_mail()
    {
        var certificate = RemoteCa.SelfSigned("mx1.example.com"); // DANE-EE needs no CA
        await using var world = await TunnelWorld.StartAsync(Settings,
            (zone, port) => zone.Tlsa($"_{port}._tcp.mx1.example.com", 3, 1, 1, Spki311(certificate)));
        world.Dns.AuthenticData = true;
        world.ExampleCom.Certificate = certificate;

        var id = TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, ["user@example.com"]));

        Assert.Contains(", tls=dane, tls-protocol=Tls1", await world.SentLineAsync(id));
        Assert.NotNull(Assert.Single(world.ExampleCom.Messages).TlsProtocol);
    }

    [Fact]
    public async Task A_certificate_that_does_not_match_is_deferred_and_never_sent_in_plaintext()
    {
        using var other = RemoteCa.SelfSigned("mx1.example.com");
        await using var world = await TunnelWorld.StartAsync(Settings,
            (zone, port) => zone.Tlsa($"_{port}._tcp.mx1.example.com", 3, 1, 1, Spki311(other)));
        world.Dns.AuthenticData = true;
        world.ExampleCom.Certificate = RemoteCa.SelfSigned("mx1.example.com");

        var id = TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, ["user@example.com"]));

        await world.WaitForLogAsync(l => l.Contains($"{id}: to=<user@example.com>") && l.Contains("dsn=4.7.5, status=deferred"), "the deferral");
        Assert.Contains("certificate not verified: no TLSA record matches the certificate of CN=mx1.example.com",
            world.LogLine(l => l.Contains($"{id}: to=<user@example.com>") && l.Contains("status=deferred")));
        Assert.Empty(world.ExampleCom.Messages);
    }

    [Fact]
    public async Task A_server_without_STARTTLS_but_with_TLSA_records_is_never_sent_mail()
    {
        using var certificate = RemoteCa.SelfSigned("mx1.example.com");
        await using var world = await TunnelWorld.StartAsync(Settings,
            (zone, port) => zone.Tlsa($"_{port}._tcp.mx1.example.com", 3, 1, 1, Spki311(certificate)));
        world.Dns.AuthenticData = true; // the sink offers no STARTTLS: no certificate given

        var id = TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, ["user@example.com"]));

        await world.WaitForLogAsync(l => l.Contains($"{id}: to=<user@example.com>") && l.Contains("dsn=4.7.4, status=deferred"), "the deferral");
        Assert.Empty(world.ExampleCom.Messages);
    }

    [Fact]
    public async Task Records_the_resolver_did_not_validate_count_for_nothing()
    {
        using var other = RemoteCa.SelfSigned("mx1.example.com");
        await using var world = await TunnelWorld.StartAsync(Settings,
            (zone, port) => zone.Tlsa($"_{port}._tcp.mx1.example.com", 3, 1, 1, Spki311(other)));
        world.ExampleCom.Certificate = RemoteCa.SelfSigned("mx1.example.com"); // no AD bit: insecure

        var id = TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, ["user@example.com"]));

        Assert.Contains(", tls=may, ", await world.SentLineAsync(id));
    }
}
