using System.Net;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace Tunnel.NetnsTools;

/// <summary>
/// An authoritative DNS server for the draft's world: it answers from master files
/// (deploy/dns/&lt;zone&gt;.zone, as BIND or NSD would load them) over UDP and TCP on each
/// endpoint, so the IPv4-only host asks it over IPv4 and the IPv6-only hosts over IPv6. Names
/// outside its zones are REFUSED: nothing in the demo resolves through the real internet.
/// </summary>
public sealed class ZoneServer
{
    private const int TransportTimeoutMs = 2_000;
    private readonly IReadOnlyList<Zone> _zones;

    private ZoneServer(IReadOnlyList<Zone> zones) => _zones = zones;

    public static async Task<int> RunAsync(Options options)
    {
        var directory = options.Required("zones");
        var endpoints = options.All("listen").Select(options.Endpoint).ToList();
        if (endpoints.Count == 0) throw new UsageException("dns: at least one --listen is required");

        var zones = Directory.GetFiles(directory, "*.zone").Order().Select(Load).ToList();
        if (zones.Count == 0) throw new UsageException($"dns: no *.zone file in {directory}");

        var server = new ZoneServer(zones);
        var transports = endpoints.SelectMany(e => new IServerTransport[]
        {
            new UdpServerTransport(e, TransportTimeoutMs),
            new TcpServerTransport(e, TransportTimeoutMs, TransportTimeoutMs),
        }).ToArray();
        using var dns = new DnsServer(transports);
        dns.QueryReceived += server.OnQueryReceived;
        dns.Start();

        foreach (var zone in zones) Console.WriteLine($"dns: zone {zone.Name} ({zone.Count} records)");
        Console.WriteLine($"dns: listening on {string.Join(", ", endpoints)}");
        await Shutdown.Signalled();
        return 0;
    }

    /// <summary>
    /// One master file, named after its zone ("example.com.zone"). ARSoft's parser gives up on some
    /// valid syntax (an SOA with its parentheses on one line) by returning no records at all, so a
    /// zone without its SOA is refused here rather than served empty.
    /// </summary>
    private static Zone Load(string file)
    {
        var zone = Zone.ParseMasterFile(DomainName.Parse(Path.GetFileNameWithoutExtension(file)), file);
        if (!zone.OfType<SoaRecord>().Any(soa => soa.Name.Equals(zone.Name)))
            throw new UsageException($"dns: {file} has no SOA record for {zone.Name} (or could not be parsed)");
        return zone;
    }

    private Task OnQueryReceived(object sender, QueryReceivedEventArgs e)
    {
        if (e.Query is not DnsMessage query) return Task.CompletedTask;
        var response = query.CreateResponseInstance();
        // DnsClient.NET (in Tunnel and in `send`) expects RA from the server it is configured with.
        response.IsRecursionAllowed = true;
        if (query.Questions.Count != 1)
        {
            response.ReturnCode = ReturnCode.FormatError;
        }
        else
        {
            var question = query.Questions[0];
            Answer(question, response);
            Console.WriteLine($"dns: {e.RemoteEndpoint.Address} asked {question.Name} {question.RecordType}: {response.ReturnCode}" +
                string.Concat(response.AnswerRecords.Select(r => $" | {r}")));
        }
        e.Response = response;
        return Task.CompletedTask;
    }

    private void Answer(DnsQuestion question, DnsMessage response)
    {
        var zone = _zones.Where(z => question.Name.IsEqualOrSubDomainOf(z.Name)).MaxBy(z => z.Name.LabelCount);
        if (zone is null)
        {
            response.ReturnCode = ReturnCode.Refused; // not ours, and we recurse for nobody
            return;
        }

        response.IsAuthoritiveAnswer = true;
        var atName = zone.Where(r => r.Name.Equals(question.Name)).ToList();
        var cname = atName.OfType<CNameRecord>().FirstOrDefault();
        if (cname is not null && question.RecordType != RecordType.CName)
        {
            response.AnswerRecords.Add(cname); // the demo's zones have none; answered like any server would
            return;
        }
        response.AnswerRecords.AddRange(atName.Where(r => question.RecordType == RecordType.Any || r.RecordType == question.RecordType));
        if (response.AnswerRecords.Count > 0) return;

        // NXDOMAIN only when nothing exists at or below the name (an empty non-terminal is NODATA),
        // and the SOA in the authority section for negative caching (RFC 2308 §3).
        var exists = zone.Any(r => r.Name.IsEqualOrSubDomainOf(question.Name));
        response.ReturnCode = exists ? ReturnCode.NoError : ReturnCode.NxDomain;
        response.AuthorityRecords.AddRange(zone.OfType<SoaRecord>());
    }
}
