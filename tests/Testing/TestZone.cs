using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace Tunnel.Tests.Testing;

/// <summary>
/// The records served by a <see cref="TestDnsServer"/>. Tests mutate it while the server runs, so every
/// member takes the same lock. Names are case-insensitive and the trailing dot is optional.
/// </summary>
public sealed class TestZone
{
    // Bounds CNAME chasing so that a test that builds a loop gets an answer instead of a hang.
    private const int MaxCnameHops = 8;

    private readonly object _gate = new();
    private readonly Dictionary<string, List<DnsRecordBase>> _records = new(StringComparer.Ordinal);
    private readonly HashSet<string> _servFail = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Name, RecordType Type), DnsFault> _faults = new();

    /// <summary>Adds an MX record; a domain may have several. Replaces a null MX if there was one.</summary>
    public TestZone Mx(string domain, int preference, string host, int ttl = 60)
    {
        var record = new MxRecord(Name(domain), ttl, checked((ushort)preference), Name(host));
        lock (_gate)
        {
            var records = RecordsOf(domain);
            records.RemoveAll(r => r is CNameRecord || IsNullMx(r));
            AddOnce(records, record);
        }
        return this;
    }

    /// <summary>RFC 7505 "MX 0 ." — the domain accepts no mail. It must be the only MX, so it replaces the others.</summary>
    public TestZone NullMx(string domain, int ttl = 60)
    {
        lock (_gate)
        {
            var records = RecordsOf(domain);
            records.RemoveAll(r => r is CNameRecord or MxRecord);
            records.Add(new MxRecord(Name(domain), ttl, 0, DomainName.Root));
        }
        return this;
    }

    public TestZone A(string host, string address, int ttl = 60) =>
        AddAddress(host, address, AddressFamily.InterNetwork, ttl);

    public TestZone Aaaa(string host, string address, int ttl = 60) =>
        AddAddress(host, address, AddressFamily.InterNetworkV6, ttl);

    /// <summary>Adds a TXT record (one string; a name may have several records), e.g. "v=STSv1; id=1" for _mta-sts.&lt;domain&gt;.</summary>
    public TestZone Txt(string name, string text, int ttl = 60)
    {
        var record = new TxtRecord(Name(name), ttl, text);
        lock (_gate)
        {
            var records = RecordsOf(name);
            records.RemoveAll(r => r is CNameRecord);
            AddOnce(records, record);
        }
        return this;
    }

    /// <summary>A TLSA record (RFC 6698), e.g. for "_25._tcp.mx1.example.com".</summary>
    public TestZone Tlsa(string name, byte usage, byte selector, byte matching, byte[] data, int ttl = 60)
    {
        var record = new TlsaRecord(Name(name), ttl, (TlsaRecord.TlsaCertificateUsage)usage, (TlsaRecord.TlsaSelector)selector,
            (TlsaRecord.TlsaMatchingType)matching, data);
        lock (_gate)
        {
            var records = RecordsOf(name);
            records.RemoveAll(r => r is CNameRecord);
            AddOnce(records, record);
        }
        return this;
    }

    /// <summary>Removes the TXT records of a name, leaving its other records.</summary>
    public TestZone RemoveTxt(string name)
    {
        lock (_gate)
            RecordsOf(name).RemoveAll(r => r is TxtRecord);
        return this;
    }

    /// <summary>A CNAME cannot coexist with other data (RFC 1034 3.6.2), so it replaces whatever the name had.</summary>
    public TestZone Cname(string name, string target, int ttl = 60)
    {
        var record = new CNameRecord(Name(name), ttl, Name(target));
        lock (_gate)
        {
            var records = RecordsOf(name);
            records.Clear();
            records.Add(record);
        }
        return this;
    }

    /// <summary>Every query for exactly this name answers SERVFAIL until <see cref="Remove"/> is called.</summary>
    public TestZone ServFail(string name)
    {
        lock (_gate)
            _servFail.Add(Key(name));
        return this;
    }

    /// <summary>
    /// Questions for this name and this record type only (e.g. the AAAA of an MX host whose A still
    /// answers) get <paramref name="fault"/> instead of an answer until <see cref="Heal"/>. The
    /// name's records stay; only the question asked is matched, not the names a CNAME leads to.
    /// </summary>
    public TestZone Fault(string name, RecordType type, DnsFault fault)
    {
        lock (_gate)
            _faults[(Key(name), type)] = fault;
        return this;
    }

    /// <summary>Ends a <see cref="Fault"/>: the question is answered from the records again.</summary>
    public TestZone Heal(string name, RecordType type)
    {
        lock (_gate)
            _faults.Remove((Key(name), type));
        return this;
    }

    /// <summary>Forgets the name's records, its SERVFAIL mark and its faults; the name then answers NXDOMAIN.</summary>
    public TestZone Remove(string name)
    {
        var key = Key(name);
        lock (_gate)
        {
            _records.Remove(key);
            _servFail.Remove(key);
            foreach (var fault in _faults.Keys.Where(k => k.Name == key).ToList())
                _faults.Remove(fault);
        }
        return this;
    }

    /// <summary>
    /// What an authoritative server would answer for one question, or null when it must not answer
    /// at all (<see cref="DnsFault.NoAnswer"/>). A CNAME whose target is not in the zone is answered
    /// NOERROR with just the CNAME, as a server that is not authoritative for the target would.
    /// </summary>
    internal (ReturnCode Code, List<DnsRecordBase> Answers)? Lookup(DomainName name, RecordType type)
    {
        var answers = new List<DnsRecordBase>();
        lock (_gate)
        {
            var key = Key(name.ToString());
            if (_faults.TryGetValue((key, type), out var fault))
                return fault == DnsFault.NoAnswer ? null : (ReturnCode.ServerFailure, answers);
            if (_servFail.Contains(key))
                return (ReturnCode.ServerFailure, answers);
            if (!Exists(key))
                return (ReturnCode.NxDomain, answers);

            for (var hop = 0; hop <= MaxCnameHops; hop++)
            {
                if (_servFail.Contains(key))
                    return (ReturnCode.ServerFailure, answers);
                if (!_records.TryGetValue(key, out var records))
                    break; // empty non-terminal, or a CNAME target outside the zone

                var cname = records.OfType<CNameRecord>().FirstOrDefault();
                if (cname is null || type == RecordType.CName)
                {
                    answers.AddRange(records.Where(r => type == RecordType.Any || r.RecordType == type));
                    break;
                }

                answers.Add(cname);
                key = Key(cname.CanonicalName.ToString());
            }
        }
        return (ReturnCode.NoError, answers);
    }

    private TestZone AddAddress(string host, string address, AddressFamily family, int ttl)
    {
        var ip = IPAddress.Parse(address);
        if (ip.AddressFamily != family)
            throw new ArgumentException($"'{address}' is not an {family} address.", nameof(address));

        DnsRecordBase record = family == AddressFamily.InterNetwork
            ? new ARecord(Name(host), ttl, ip)
            : new AaaaRecord(Name(host), ttl, ip);
        lock (_gate)
        {
            var records = RecordsOf(host);
            records.RemoveAll(r => r is CNameRecord);
            AddOnce(records, record);
        }
        return this;
    }

    // A name exists if it owns records or is an empty non-terminal above a name that does (RFC 8020):
    // real servers answer NODATA, not NXDOMAIN, for "example.com" when only "mx.example.com" has records.
    private bool Exists(string key) =>
        _records.ContainsKey(key) || _records.Keys.Any(k => k.EndsWith("." + key, StringComparison.Ordinal));

    private List<DnsRecordBase> RecordsOf(string name)
    {
        var key = Key(name);
        if (!_records.TryGetValue(key, out var records))
            _records[key] = records = new List<DnsRecordBase>();
        return records;
    }

    private static void AddOnce(List<DnsRecordBase> records, DnsRecordBase record)
    {
        if (!records.Contains(record))
            records.Add(record);
    }

    private static bool IsNullMx(DnsRecordBase record) =>
        record is MxRecord mx && mx.ExchangeDomainName.Equals(DomainName.Root);

    private static DomainName Name(string name) => DomainName.Parse(Key(name));

    private static string Key(string name) => name.Trim().TrimEnd('.').ToLowerInvariant();
}

/// <summary>How a <see cref="TestDnsServer"/> fails one question (<see cref="TestZone.Fault"/>).</summary>
public enum DnsFault
{
    /// <summary>SERVFAIL (RCODE 2): the server is there but cannot answer for now.</summary>
    ServFail,
    /// <summary>No reply at all: the resolver's question times out, as behind a lost packet or a dead server.</summary>
    NoAnswer,
}
