using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using Xunit;

namespace Tunnel.Tests.Unit.Deploy;

/// <summary>
/// deploy/dns holds the draft's world as master files, served by the network-namespace demo. Every
/// record of draft-mrosenau-email-ipv4-to-6-00 §2.1 must be in them exactly as the draft prints it,
/// and every file must load (a zone that parses to nothing would serve an empty world).
/// </summary>
public sealed class DraftZonesAreTheDraft
{
    private static readonly string Directory = RepositoryFiles.PathOf("deploy/dns");

    public static TheoryData<string> DraftRecords => new(
        "example.org. IN MX 1 mx1.example.org.",
        "example.com. IN MX 1 mx1.example.com.",
        "ip4only.example. IN MX 1 mx1.ip4only.example.",
        "mail-tunnel.example. IN AAAA 2001:db8:ffff::1",
        "mail-tunnel.example. IN AAAA 2001:db8:ffff::2",
        "mail-tunnel.example. IN A 192.0.1.30",
        "mail-tunnel.example. IN A 192.0.1.31",
        "mx1.example.org. IN AAAA 2001:db8:ffff::1:1",
        "mx1.example.org. IN A 192.0.1.30",
        "mx1.example.org. IN A 192.0.1.31",
        "mx1.example.com. IN AAAA 2001:db8:ffff::2:1",
        "mx1.example.com. IN A 192.0.1.30",
        "mx1.example.com. IN A 192.0.1.31",
        "mx1.ip4only.example. IN A 192.0.2.1");

    public static TheoryData<string> ZoneFiles => new(
        System.IO.Directory.GetFiles(Directory, "*.zone").Select(Path.GetFileName).Order()!);

    [Theory]
    [MemberData(nameof(DraftRecords))]
    public void The_draft_record_is_published(string record)
    {
        var published = System.IO.Directory.GetFiles(Directory, "*.zone").SelectMany(f => Load(f)).Select(WithoutTtl).ToList();

        Assert.Contains(record, published);
    }

    [Theory]
    [MemberData(nameof(ZoneFiles))]
    public void A_zone_file_loads_with_its_SOA_and_NS(string file)
    {
        var zone = Load(Path.Combine(Directory, file));

        Assert.Single(zone.OfType<SoaRecord>(), r => r.Name.Equals(zone.Name));
        Assert.Contains(zone.OfType<NsRecord>(), r => r.Name.Equals(zone.Name));
        Assert.All(zone, r => Assert.True(r.Name.IsEqualOrSubDomainOf(zone.Name), $"{r} is outside {zone.Name}"));
    }

    [Fact]
    public void Mx1_example_com_has_the_tunnel_A_records_beside_its_own_AAAA()
    {
        // The draft's point (§2.1): the A records are the tunnel's, the AAAA is the server's own.
        var records = Load(Path.Combine(Directory, "example.com.zone")).Where(r => r.Name.Equals(DomainName.Parse("mx1.example.com"))).ToList();

        Assert.Equal(["192.0.1.30", "192.0.1.31"], records.OfType<ARecord>().Select(r => r.Address.ToString()).Order());
        Assert.Equal(["2001:db8:ffff::2:1"], records.OfType<AaaaRecord>().Select(r => r.Address.ToString()));
    }

    private static Zone Load(string file) =>
        Zone.ParseMasterFile(DomainName.Parse(Path.GetFileNameWithoutExtension(file)), file);

    private static string WithoutTtl(DnsRecordBase record)
    {
        var words = record.ToString().Split(' ', 3); // "name ttl IN TYPE data"
        return $"{words[0]} {words[2]}";
    }
}
