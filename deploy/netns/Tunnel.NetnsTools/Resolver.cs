using System.Net;
using DnsClient;
using DnsClient.Protocol;

namespace Tunnel.NetnsTools;

/// <summary>
/// DNS as a mail host's stub resolver sees it: the servers of /etc/resolv.conf (inside a demo
/// namespace, /etc/netns/&lt;name&gt;/resolv.conf), each answer printed.
/// </summary>
public sealed class Resolver
{
    private readonly LookupClient _client;
    private readonly IReadOnlyList<IPAddress> _servers;

    private Resolver(IReadOnlyList<IPAddress> servers)
    {
        _servers = servers;
        _client = new LookupClient(new LookupClientOptions(servers.Select(s => new NameServer(s)).ToArray())
        {
            UseCache = false,
            Timeout = TimeSpan.FromSeconds(3),
            Retries = 1,
            ThrowDnsErrors = false,
            ContinueOnEmptyResponse = false,
        });
    }

    public static Resolver FromResolvConf(string file = "/etc/resolv.conf")
    {
        var servers = File.ReadLines(file)
            .Select(l => l.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            .Where(w => w.Length >= 2 && w[0] == "nameserver" && IPAddress.TryParse(w[1], out _))
            .Select(w => IPAddress.Parse(w[1])).ToList();
        return servers.Count > 0 ? new Resolver(servers) : throw new InvalidOperationException($"no nameserver in {file}");
    }

    public async Task<List<(int Preference, string Host)>> MxAsync(string domain)
    {
        var answer = await QueryAsync(domain, QueryType.MX);
        return answer.OfType<MxRecord>().Select(r => ((int)r.Preference, r.Exchange.Value.TrimEnd('.'))).ToList();
    }

    /// <summary>AAAA then A, in the order the server gave them.</summary>
    public async Task<List<IPAddress>> AddressesAsync(string host) =>
    [
        .. (await QueryAsync(host, QueryType.AAAA)).OfType<AaaaRecord>().Select(r => r.Address),
        .. (await QueryAsync(host, QueryType.A)).OfType<ARecord>().Select(r => r.Address),
    ];

    public override string ToString() => string.Join(", ", _servers);

    private async Task<IReadOnlyList<DnsResourceRecord>> QueryAsync(string name, QueryType type)
    {
        var response = await _client.QueryAsync(name, type);
        var records = response.Answers.Where(r => r.RecordType == (ResourceRecordType)type).ToList();
        var shown = response.HasError ? response.ErrorMessage : records.Count == 0 ? "no records" : string.Join(", ", records.Select(Data));
        Console.WriteLine($"send: dns {name} {type}: {shown}");
        return records;
    }

    private static string Data(DnsResourceRecord record) => record switch
    {
        MxRecord mx => $"{mx.Preference} {mx.Exchange.Value.TrimEnd('.')}",
        AddressRecord address => address.Address.ToString(),
        _ => record.ToString(),
    };
}
