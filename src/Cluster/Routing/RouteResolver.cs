using System.Net;
using DnsClient;
using DnsClient.Protocol;
using Tunnel.Cluster.Observability;

namespace Tunnel.Cluster.Routing;

/// <summary>
/// Looks a destination domain up the way RFC 5321 §5.1 says: MX records by preference, else the
/// domain itself (implicit MX); then A and AAAA of each host. NXDOMAIN and the null MX
/// (RFC 7505) are permanent; SERVFAIL, timeouts and other DNS trouble are temporary, because a
/// broken resolver must never bounce mail. A failed A or AAAA question leaves its host
/// unresolved (<see cref="RouteAnswers"/>), never "just the addresses that did answer": the route
/// is incomplete and what it can still decide is the planner's. Answers are cached by DnsClient
/// for their TTL; failures are not, so the next attempt asks again.
/// Owns: DNS questions. Does not own: what the answers make (<see cref="RouteAnswers"/>), which
/// addresses are ours or allowed (<see cref="RoutePlanner"/>).
/// </summary>
public sealed class RouteResolver
{
    private const int MaxCnameHops = 8;
    private readonly LookupClient _dns;
    // The same resolvers, asked with the DO bit (RFC 3225) so that a validating resolver says
    // with the AD bit whether it validated the answer (RFC 4035 §3.2.3): what DANE trusts.
    private readonly LookupClient _dnssec;
    private readonly TunnelMetrics? _metrics;

    /// <param name="metrics">Counts every question and its result (tunnel_dns_lookups_total); null for the CLI's one-off checks.</param>
    public RouteResolver(IReadOnlyList<IPEndPoint> servers, TimeSpan timeout, TunnelMetrics? metrics = null)
    {
        _metrics = metrics;
        var options = servers.Count > 0
            ? new LookupClientOptions(servers.Select(s => new NameServer(s)).ToArray())
            : new LookupClientOptions();
        options.UseCache = true;
        options.Timeout = timeout;
        options.Retries = 2;
        options.ThrowDnsErrors = false;
        options.ContinueOnEmptyResponse = false; // NODATA is an answer, not a server fault
        options.UseTcpFallback = true;           // truncated UDP answers are retried over TCP
        _dns = new LookupClient(options);
        var dnssec = servers.Count > 0
            ? new LookupClientOptions(servers.Select(s => new NameServer(s)).ToArray())
            : new LookupClientOptions();
        dnssec.UseCache = false; // the AD bit is per answer; DnsClient's cache keeps records, not headers
        dnssec.Timeout = timeout;
        dnssec.Retries = 2;
        dnssec.ThrowDnsErrors = false;
        dnssec.ContinueOnEmptyResponse = false;
        dnssec.UseTcpFallback = true;
        dnssec.RequestDnsSecRecords = true;
        _dnssec = new LookupClient(dnssec);
    }

    public async Task<RouteLookup> ResolveAsync(string domain, CancellationToken cancel)
    {
        var mx = await QueryAsync(domain, QueryType.MX, cancel);
        if (mx.Status == Answer.NxDomain) return new RouteFailure(true, "5.1.2", $"domain {domain} does not exist (NXDOMAIN)");
        if (mx.Status == Answer.Temporary) return new RouteFailure(false, "4.4.3", $"MX lookup for {domain} failed: {mx.Detail}");

        var records = mx.Records.OfType<MxRecord>().ToList();
        if (records.Any(r => r.Exchange.Value == "."))
            return new RouteFailure(true, "5.1.10", $"domain {domain} accepts no mail (null MX, RFC 7505)");

        var implicitMx = records.Count == 0;
        var names = implicitMx
            ? [(Name: domain, Preference: 0)]
            : records.Select(r => (Name: r.Exchange.Value.TrimEnd('.').ToLowerInvariant(), Preference: (int)r.Preference)).ToList();

        // Every host is asked, even after a failure: a resolved host of better preference may
        // still carry the mail (RouteAnswers, RoutePlanner), and the detail names each failure.
        var hosts = new List<HostAnswers>();
        foreach (var (name, preference) in names)
        {
            var v6 = await AddressesAsync(name, QueryType.AAAA, cancel);
            var v4 = await AddressesAsync(name, QueryType.A, cancel);
            hosts.Add(new HostAnswers(name, preference, v6, v4));
        }
        return RouteAnswers.Assemble(domain, implicitMx, hosts);
    }

    /// <summary>One A or AAAA question: NXDOMAIN is final (no address), like NODATA; anything else but an answer is a failure for now.</summary>
    private async Task<AddressAnswer> AddressesAsync(string name, QueryType type, CancellationToken cancel)
    {
        var answer = await QueryAsync(name, type, cancel);
        return answer.Status == Answer.Temporary
            ? AddressAnswer.Failed(answer.Reason)
            : new AddressAnswer(answer.Records.OfType<AddressRecord>().Select(r => r.Address).ToList());
    }

    /// <summary>The AAAA addresses of a name (empty when it has none or DNS fails); used for NAT64 discovery (RFC 7050).</summary>
    public async Task<IReadOnlyList<IPAddress>> Ipv6AddressesAsync(string name, CancellationToken cancel)
    {
        var answer = await QueryAsync(name, QueryType.AAAA, cancel);
        return answer.Records.OfType<AaaaRecord>().Select(r => r.Address).ToList();
    }

    /// <summary>
    /// A host's own A and AAAA addresses, or why DNS could not say (for `tunnel dns plan`, which
    /// must not mistake a failing resolver for a host without addresses).
    /// </summary>
    public async Task<(IReadOnlyList<IPAddress> Addresses, string? Problem)> HostAddressesAsync(string name, CancellationToken cancel)
    {
        var v6 = await QueryAsync(name, QueryType.AAAA, cancel);
        var v4 = await QueryAsync(name, QueryType.A, cancel);
        var problem = new[] { v6, v4 }.FirstOrDefault(a => a.Status != Answer.Ok) is { } failed
            ? failed.Status == Answer.NxDomain ? $"{name} does not exist (NXDOMAIN)" : $"lookup of {name} failed: {failed.Detail}"
            : null;
        return (v4.Records.OfType<ARecord>().Select(r => (IPAddress)r.Address)
            .Concat(v6.Records.OfType<AaaaRecord>().Select(r => r.Address)).Distinct().ToList(), problem);
    }

    /// <summary>
    /// The TXT records of a name, each record's strings joined (RFC 7208 §3.3 and RFC 8461 §3.1
    /// read them so); NXDOMAIN and NODATA are no records. Null when DNS could not say (for now).
    /// </summary>
    public async Task<IReadOnlyList<string>?> TextAsync(string name, CancellationToken cancel)
    {
        var answer = await QueryAsync(name, QueryType.TXT, cancel);
        return answer.Status == Answer.Temporary ? null : answer.Records.OfType<TxtRecord>().Select(r => string.Concat(r.Text)).ToList();
    }

    /// <summary>
    /// The TLSA records of an SMTP server (RFC 7672 §2.2: _25._tcp.&lt;MX host&gt;), and whether
    /// the resolver validated them (its AD bit; a secure NODATA or NXDOMAIN is a secure "none").
    /// </summary>
    public async Task<TlsaAnswer> TlsaAsync(string host, int port, CancellationToken cancel)
    {
        var name = $"_{port}._tcp.{host.TrimEnd('.')}";
        var (response, problem) = await SecureAskAsync(name, QueryType.TLSA, cancel);
        if (response is null) return new TlsaAnswer(TlsaStatus.Failed, [], $"TLSA lookup of {name} failed: {problem}");
        var records = response.Answers.OfType<TlsaRecord>()
            .Select(r => new Tunnel.Cluster.Outbound.Policy.Tlsa((byte)r.CertificateUsage, (byte)r.Selector, (byte)r.MatchingType,
                r.CertificateAssociationData.ToArray()))
            .ToList();
        return new TlsaAnswer(response.Header.IsAuthenticData ? TlsaStatus.Secure : TlsaStatus.Insecure, records, null);
    }

    /// <summary>Whether the resolver validated the domain's MX answer (RFC 7672 §2.2.1: DANE only for MX hosts named securely); null when it failed.</summary>
    public async Task<bool?> MxSecureAsync(string domain, CancellationToken cancel)
    {
        var (response, _) = await SecureAskAsync(domain, QueryType.MX, cancel);
        return response?.Header.IsAuthenticData;
    }

    private async Task<(IDnsQueryResponse? Response, string? Problem)> SecureAskAsync(string name, QueryType type, CancellationToken cancel)
    {
        IDnsQueryResponse response;
        try { response = await _dnssec.QueryAsync(name, type, QueryClass.IN, cancel); }
        catch (DnsResponseException e) { return (null, Reason((int)e.Code, e.Code.ToString())); }
        _metrics?.DnsLookup(type.ToString(), response.HasError && response.Header.ResponseCode != DnsHeaderResponseCode.NotExistentDomain ? "failed"
            : response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain ? "nxdomain" : "ok");
        if (response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain) return (response, null);
        if (response.HasError) return (null, Reason((int)response.Header.ResponseCode, response.ErrorMessage));
        if (response.Header.ResultTruncated) return (null, "truncated answer");
        return (response, null);
    }

    private enum Answer { Ok, NxDomain, Temporary }

    /// <param name="Detail">The resolver's own words (with the server asked), for the MX question.</param>
    /// <param name="Reason">The same in a few words ("timed out", "SERVFAIL") for naming a failed address question.</param>
    private sealed record QueryResult(Answer Status, IReadOnlyList<DnsResourceRecord> Records, string Detail, string Reason = "")
    {
        public static QueryResult Failed(string detail, string reason) => new(Answer.Temporary, [], detail, reason);
    }

    private async Task<QueryResult> QueryAsync(string name, QueryType type, CancellationToken cancel)
    {
        var result = await AskAsync(name, type, cancel);
        _metrics?.DnsLookup(type.ToString(), result.Status switch
        {
            Answer.Ok => "ok",
            Answer.NxDomain => "nxdomain",
            _ => "failed",
        });
        return result;
    }

    /// <summary>One question, following CNAME chains the server did not resolve for us.</summary>
    private async Task<QueryResult> AskAsync(string name, QueryType type, CancellationToken cancel)
    {
        for (var hop = 0; hop < MaxCnameHops; hop++)
        {
            IDnsQueryResponse response;
            try
            {
                response = await _dns.QueryAsync(name, type, QueryClass.IN, cancel);
            }
            catch (DnsResponseException e)
            {
                return QueryResult.Failed(e.Message, Reason((int)e.Code, e.Code.ToString()));
            }
            if (response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain)
                return new QueryResult(Answer.NxDomain, [], "NXDOMAIN");
            if (response.HasError)
                return QueryResult.Failed(response.ErrorMessage, Reason((int)response.Header.ResponseCode, response.ErrorMessage));
            if (response.Header.ResultTruncated)
                return QueryResult.Failed("truncated answer", "truncated answer");

            var wanted = response.Answers.Where(r => r.RecordType == (ResourceRecordType)type).ToList();
            if (wanted.Count > 0) return new QueryResult(Answer.Ok, wanted, "");
            var cname = response.Answers.CnameRecords().LastOrDefault();
            if (cname is null) return new QueryResult(Answer.Ok, [], "no data");
            name = cname.CanonicalName.Value.TrimEnd('.');
        }
        return QueryResult.Failed($"CNAME chain longer than {MaxCnameHops}", $"CNAME chain longer than {MaxCnameHops}");
    }

    /// <summary>A DNS failure in the words of the RCODE (RFC 1035 §4.1.1), or "timed out" when no answer came.</summary>
    private static string Reason(int code, string otherwise) => code switch
    {
        (int)DnsResponseCode.ConnectionTimeout => "timed out",
        (int)DnsHeaderResponseCode.FormatError => "FORMERR",
        (int)DnsHeaderResponseCode.ServerFailure => "SERVFAIL",
        (int)DnsHeaderResponseCode.NotImplemented => "NOTIMP",
        (int)DnsHeaderResponseCode.Refused => "REFUSED",
        _ => otherwise,
    };
}

public enum TlsaStatus { Secure, Insecure, Failed }

/// <summary>A TLSA lookup: validated (AD) or not, its records, or why it failed.</summary>
public sealed record TlsaAnswer(TlsaStatus Status, IReadOnlyList<Tunnel.Cluster.Outbound.Policy.Tlsa> Records, string? Problem);
