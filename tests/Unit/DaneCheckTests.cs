using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tunnel.Cluster.Outbound.Policy;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// DANE for SMTP (RFC 7672) in pure code, against certificates made by the test: DANE-EE matches
/// the server's own certificate or key whatever its name and dates; DANE-TA needs the anchor in
/// the presented chain, a chain to it, and the MX host's name; PKIX usages are unusable for SMTP.
/// </summary>
public sealed class DaneCheckTests : IDisposable
{
    private const string Mx = "mx1.example.com";
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly RemoteCa _ca = new();

    public void Dispose() => _ca.Dispose();

    private static byte[] Spki(X509Certificate2 c) => c.PublicKey.ExportSubjectPublicKeyInfo();

    [Fact]
    public void DANE_EE_3_1_1_matches_the_SHA_256_of_the_server_s_key()
    {
        using var leaf = _ca.Issue(Mx);

        Assert.Null(DaneCheck.Problem([new Tlsa(3, 1, 1, SHA256.HashData(Spki(leaf)))], leaf, [], Mx, Now));
        Assert.Null(DaneCheck.Problem([new Tlsa(3, 0, 1, SHA256.HashData(leaf.RawData))], leaf, [], Mx, Now));
        Assert.Null(DaneCheck.Problem([new Tlsa(3, 1, 2, SHA512.HashData(Spki(leaf)))], leaf, [], Mx, Now));
        Assert.Null(DaneCheck.Problem([new Tlsa(3, 1, 0, Spki(leaf))], leaf, [], Mx, Now));
    }

    [Fact]
    public void DANE_EE_ignores_the_certificate_s_names_dates_and_issuer()
    {
        using var selfSignedElsewhere = RemoteCa.SelfSigned("other.example");
        using var expired = _ca.Issue(["other.example"], Now.AddDays(-10), Now.AddDays(-1));

        Assert.Null(DaneCheck.Problem([new Tlsa(3, 1, 1, SHA256.HashData(Spki(selfSignedElsewhere)))], selfSignedElsewhere, [], Mx, Now));
        Assert.Null(DaneCheck.Problem([new Tlsa(3, 1, 1, SHA256.HashData(Spki(expired)))], expired, [], Mx, Now));
    }

    [Fact]
    public void Another_key_does_not_match()
    {
        using var leaf = _ca.Issue(Mx);
        using var other = _ca.Issue(Mx);

        var problem = DaneCheck.Problem([new Tlsa(3, 1, 1, SHA256.HashData(Spki(other)))], leaf, [], Mx, Now);

        Assert.StartsWith($"no TLSA record matches the certificate of CN={Mx} (3 1 1 ", problem);
    }

    [Fact]
    public void DANE_TA_needs_the_presented_anchor_a_chain_to_it_and_the_MX_name()
    {
        using var leaf = _ca.Issue(Mx);
        using var wrongName = _ca.Issue("mx2.example.com");
        using var other = new RemoteCa("Another Test CA");
        using var fromOther = other.Issue(Mx);
        Tlsa[] ta = [new Tlsa(2, 0, 1, SHA256.HashData(_ca.Certificate.RawData))];

        Assert.Null(DaneCheck.Problem(ta, leaf, [_ca.Certificate], Mx, Now));
        Assert.Null(DaneCheck.Problem([new Tlsa(2, 1, 1, SHA256.HashData(Spki(_ca.Certificate)))], leaf, [_ca.Certificate], Mx, Now));
        Assert.StartsWith("no TLSA record matches", DaneCheck.Problem(ta, leaf, [], Mx, Now)); // the server must send its anchor (§3.1.2)
        Assert.EndsWith($"does not name {Mx}", DaneCheck.Problem(ta, wrongName, [_ca.Certificate], Mx, Now));
        Assert.Contains("does not chain to the DANE-TA anchor", DaneCheck.Problem(ta, fromOther, [_ca.Certificate], Mx, Now));
    }

    [Fact]
    public void PKIX_usages_and_unknown_parameters_are_unusable_for_SMTP()
    {
        using var leaf = _ca.Issue(Mx);
        var hash = SHA256.HashData(Spki(leaf));

        Assert.Empty(DaneCheck.Usable([new Tlsa(0, 1, 1, hash), new Tlsa(1, 1, 1, hash), new Tlsa(3, 2, 1, hash), new Tlsa(3, 1, 3, hash)]));
        Assert.Equal("no usable TLSA records (only DANE-TA and DANE-EE count for SMTP)",
            DaneCheck.Problem([new Tlsa(1, 1, 1, hash)], leaf, [], Mx, Now));
        Assert.Null(DaneCheck.Problem([new Tlsa(1, 1, 1, [1, 2]), new Tlsa(3, 1, 1, hash)], leaf, [], Mx, Now));
    }
}
