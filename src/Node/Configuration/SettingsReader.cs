using System.Net;
using System.Security.Cryptography.X509Certificates;
using Akka.Configuration;
using Akka.Configuration.Hocon;
using Tunnel.Cluster.Ingress;
using Tunnel.Cluster.Ingress.Protocol;
using Tunnel.Cluster.Ingress.Tls;
using Tunnel.Cluster.Outbound;
using Tunnel.Cluster.Outbound.Policy;
using Tunnel.Cluster.Queue;
using Tunnel.Cluster.Routing;

namespace Tunnel.Node.Configuration;

/// <summary>
/// Reads the <c>tunnel { }</c> block into typed settings and checks every value, collecting all
/// problems with their key names so the operator fixes the file in one go. Defaults live in
/// cluster.hocon (with their documentation), not here: a key missing from the merged
/// configuration is itself an error.
/// </summary>
public sealed class SettingsReader
{
    private readonly Config _config;
    private readonly List<string> _problems = [];

    private SettingsReader(Config config) => _config = config;

    public static TunnelSettings Read(Config config)
    {
        var reader = new SettingsReader(config);
        var settings = reader.ReadAll();
        if (reader._problems.Count > 0) throw new ConfigurationException(reader._problems);
        return settings;
    }

    private TunnelSettings ReadAll()
    {
        var hostname = String("tunnel.hostname");
        if (hostname.Length == 0) hostname = Dns.GetHostName();
        var listen = Endpoints("tunnel.smtp.listen", defaultPort: null);
        if (listen.Count == 0) Problem("tunnel.smtp.listen", "at least one endpoint is needed");

        var limits = new SessionLimits(
            Bytes("tunnel.smtp.max-message-size", min: 1024),
            Int("tunnel.smtp.max-recipients", min: 1),
            Int("tunnel.smtp.max-command-line", min: 510),
            Int("tunnel.smtp.max-errors", min: 1),
            Duration("tunnel.smtp.command-timeout"),
            Duration("tunnel.smtp.data-timeout"),
            Duration("tunnel.smtp.final-timeout"),
            Duration("tunnel.smtp.greeting-delay", allowZero: true),
            Int("tunnel.smtp.max-connections", min: 1),
            Int("tunnel.smtp.max-connections-per-client", min: 1),
            Int("tunnel.smtp.max-received-headers", min: 1));
        var publicAddresses = Addresses("tunnel.public-addresses");
        var relay = new RelaySettings(
            Domains("tunnel.relay.domains"),
            Boolean("tunnel.relay.verify-mx"),
            publicAddresses,
            Networks("tunnel.relay.clients"))
        {
            Verification = new RecipientVerification(
                Boolean("tunnel.relay.verify-recipients"),
                Duration("tunnel.relay.recipient-verification.valid-for"),
                Duration("tunnel.relay.recipient-verification.invalid-for"),
                WhenUnknown("tunnel.relay.recipient-verification.when-unknown"),
                Duration("tunnel.relay.recipient-verification.timeout"),
                Int("tunnel.relay.recipient-verification.max-entries", min: 1)),
        };
        if (relay.VerifyMx && publicAddresses.Count == 0)
            Problem("tunnel.relay.verify-mx", "is on, but tunnel.public-addresses is empty: no MX host could ever point at us");
        var ingress = new IngressSettings(hostname, listen, limits, relay, Certificates(),
            Int("tunnel.smtp.max-pending-messages", min: 1), Duration("tunnel.smtp.drain-timeout"),
            Int("tunnel.smtp.max-pending-messages-per-client", min: 1),
            Bytes("tunnel.smtp.max-content-in-flight", min: 65536))
        {
            GreetingPassTtl = ZeroOrDuration("tunnel.smtp.greeting-pass-ttl"),
            GreetingPassMax = Int("tunnel.smtp.greeting-pass-max", min: 1),
            CertificateReloadInterval = Duration("tunnel.tls.reload-interval"),
        };

        var routing = new RoutingSettings(
            Endpoints("tunnel.dns.servers", defaultPort: 53),
            Duration("tunnel.dns.timeout"),
            Addresses("tunnel.own-addresses").Concat(Addresses("tunnel.public-addresses")).ToList(),
            Families("tunnel.outbound.families"),
            Nat64Prefix("tunnel.outbound.nat64-prefix"),
            Ranges("tunnel.outbound.prohibited"),
            Int("tunnel.outbound.address-limit", min: 1),
            FamilyPolicy("tunnel.outbound.family-policy", String("tunnel.outbound.family-policy")),
            FamilyPolicies("tunnel.outbound.family-policy-by-domain"));

        var outbound = new OutboundSettings(
            hostname,
            Port("tunnel.outbound.port"),
            Duration("tunnel.outbound.connect-timeout"),
            Duration("tunnel.outbound.command-timeout"),
            OptionalAddress("tunnel.outbound.source-ipv4", System.Net.Sockets.AddressFamily.InterNetwork),
            OptionalAddress("tunnel.outbound.source-ipv6", System.Net.Sockets.AddressFamily.InterNetworkV6),
            ZeroOrDuration("tunnel.outbound.connection-cache-time"),
            Int("tunnel.outbound.connection-reuse-limit", min: 1),
            Int("tunnel.outbound.connections-per-address", min: 1),
            Int("tunnel.outbound.max-connections", min: 1),
            Bytes("tunnel.outbound.max-content-in-flight", min: 65536),
            Int("tunnel.outbound.max-spool-reads", min: 1),
            Duration("tunnel.outbound.capacity-wait", allowZero: true))
        {
            Tls = OutboundTls(),
            ClusterConnectionsPerAddress = OptionalInt("tunnel.outbound.cluster-connections-per-address", min: 1),
        };

        var first = Duration("tunnel.queue.retry.first");
        var max = Duration("tunnel.queue.retry.max");
        if (max < first) Problem("tunnel.queue.retry.max", "must not be shorter than tunnel.queue.retry.first");
        var jitter = Fraction("tunnel.queue.retry.jitter", max: 0.5);
        var queue = new QueueSettings(
            new RetrySchedule(first, max, jitter),
            Duration("tunnel.queue.lifetime"),
            OptionalDuration("tunnel.queue.delay-warning-after"),
            Int("tunnel.queue.concurrency-per-domain", min: 1),
            Int("tunnel.queue.shards", min: 1),
            Int("tunnel.queue.snapshot-every", min: 10),
            Duration("tunnel.queue.passivate-after"),
            Duration("tunnel.queue.enqueue-timeout"),
            Duration("tunnel.queue.attempt-timeout"),
            hostname,
            Bytes("tunnel.bounce.max-returned-size", min: 0))
        {
            SweepInterval = Duration("tunnel.queue.sweep-interval"),
            OrphanAge = Duration("tunnel.queue.orphan-age"),
            Split = new QueueSplit(Math.Clamp(Int("tunnel.queue.split-default", min: 1, max: QueueSplit.Max), 1, QueueSplit.Max), Splits("tunnel.queue.split")),
            SplitGrowth = new SplitGrowthSettings(
                Boolean("tunnel.queue.split-growth.enabled"),
                Int("tunnel.queue.split-growth.backlog-per-slot", min: 1),
                Duration("tunnel.queue.split-growth.after"),
                Duration("tunnel.queue.split-growth.shrink-after"),
                Int("tunnel.queue.split-growth.max", min: 1, max: QueueSplit.Max)),
        };

        var provider = String("tunnel.storage.provider");
        var storage = new StorageSettings(provider, String("tunnel.storage.sqlite.path"), String("tunnel.storage.postgresql.connection-string"));
        if (provider == StorageSettings.Sqlite && storage.SqlitePath.Length == 0)
            Problem("tunnel.storage.sqlite.path", "must name a directory");
        else if (provider == StorageSettings.Postgres && storage.PostgresConnectionString.Length == 0)
            Problem("tunnel.storage.postgresql.connection-string", "must be set (or TUNNEL_POSTGRES) when the provider is postgresql");
        else if (provider is not (StorageSettings.Sqlite or StorageSettings.Postgres))
            Problem("tunnel.storage.provider", $"'{provider}' is not one of: sqlite, postgresql");

        var cluster = new ClusterSettings(
            String("tunnel.cluster.hostname"),
            Int("tunnel.cluster.port", min: 0, max: 65535),
            Seeds("tunnel.cluster.seeds"));

        return new TunnelSettings(ingress, routing, outbound, queue, storage, cluster, Admin(), Log());
    }

    /// <summary>
    /// The admin endpoint steers the cluster (leave, down, delete mail), so off loopback it
    /// must ask for a token: a missing one is an error here, not an open door at run time.
    /// </summary>
    private AdminSettings Admin()
    {
        const string listenKey = "tunnel.admin.listen", tokenKey = "tunnel.admin.token";
        var text = String(listenKey).Trim();
        var token = String(tokenKey).Trim();
        var destinations = Int("tunnel.admin.metrics-destinations", min: 0, max: 1000);
        if (text.Length == 0 || text is "off" or "false") return new AdminSettings(null, token, destinations);
        var endpoint = ParseEndpoint(text, defaultPort: null);
        if (endpoint is null)
        {
            Problem(listenKey, $"'{text}' is not an endpoint like \"127.0.0.1:8025\" or \"[::1]:8025\" (or off)");
            return new AdminSettings(null, token, destinations);
        }
        if (!IPAddress.IsLoopback(endpoint.Address) && token.Length == 0)
            Problem(tokenKey, $"must be set (or TUNNEL_ADMIN_TOKEN) because {listenKey} = \"{text}\" is not a loopback address");
        else if (token.Length is > 0 and < 16)
            Problem(tokenKey, "is shorter than 16 characters: too easy to guess for a key to the whole cluster");
        return new AdminSettings(endpoint, token, destinations);
    }

    private LogSettings Log()
    {
        var format = String("tunnel.log.format").Trim().ToLowerInvariant();
        if (format is not ("text" or "json")) Problem("tunnel.log.format", $"'{format}' is not text or json");
        return new LogSettings(format == "json");
    }

    private void Problem(string key, string why) => _problems.Add($"{key}: {why}");

    private bool Has(string key)
    {
        if (_config.HasPath(key)) return true;
        Problem(key, "missing");
        return false;
    }

    private string String(string key) => Has(key) ? _config.GetString(key) ?? "" : "";

    private IReadOnlyList<string> Strings(string key)
    {
        if (!Has(key)) return [];
        try
        {
            var list = _config.GetStringList(key).ToList();
            if (list.Any(s => s is null)) { Problem(key, "must be a list of strings (an element is missing: an unclosed [ ?)"); return []; }
            return list;
        }
        catch (Exception e) { Problem(key, $"must be a list of strings ({e.Message})"); return []; }
    }

    private int Int(string key, int min, int max = int.MaxValue)
    {
        if (!Has(key)) return min;
        try
        {
            var value = _config.GetInt(key);
            if (value < min || value > max) Problem(key, $"{value} is out of range [{min}, {max}]");
            return value;
        }
        catch (Exception) { Problem(key, $"'{_config.GetString(key)}' is not a whole number"); return min; }
    }

    private int Port(string key) => Int(key, min: 1, max: 65535);

    /// <summary>accept (true) or defer (false).</summary>
    private bool WhenUnknown(string key)
    {
        var value = String(key);
        if (value is "accept" or "defer") return value == "accept";
        Problem(key, $"'{value}' is not one of: accept, defer");
        return true;
    }

    private long Bytes(string key, long min)
    {
        if (!Has(key)) return min;
        long? value;
        try { value = _config.GetByteSize(key); }
        catch (FormatException) { value = null; } // "lots": HOCON throws rather than answering null
        if (value is null || value < min) { Problem(key, $"'{_config.GetString(key)}' is not a size of at least {min} bytes"); return min; }
        return value.Value;
    }

    private TimeSpan Duration(string key, bool allowZero = false)
    {
        if (!Has(key)) return TimeSpan.FromSeconds(1);
        try
        {
            var value = _config.GetTimeSpan(key, allowInfinite: false);
            if (value < TimeSpan.Zero || (value == TimeSpan.Zero && !allowZero)) Problem(key, allowZero ? "must not be negative" : "must be positive");
            return value;
        }
        catch (Exception) { Problem(key, $"'{_config.GetString(key)}' is not a duration (e.g. 30s, 5m)"); return TimeSpan.FromSeconds(1); }
    }

    private double Fraction(string key, double max)
    {
        if (!Has(key)) return 0;
        try
        {
            var value = _config.GetDouble(key);
            if (value < 0 || value > max) Problem(key, $"{value} is not a fraction between 0 and {max}");
            return Math.Clamp(value, 0, max);
        }
        catch (Exception) { Problem(key, $"'{_config.GetString(key)}' is not a number"); return 0; }
    }

    /// <summary>A duration that may be zero (a feature switched off).</summary>
    private TimeSpan ZeroOrDuration(string key)
    {
        if (!Has(key)) return TimeSpan.Zero;
        try
        {
            var value = _config.GetTimeSpan(key, allowInfinite: false);
            if (value < TimeSpan.Zero) Problem(key, "must not be negative");
            return value;
        }
        catch (Exception) { Problem(key, $"'{_config.GetString(key)}' is not a duration (e.g. 2s, 0s)"); return TimeSpan.Zero; }
    }

    /// <summary>A duration, or "off".</summary>
    private TimeSpan? OptionalDuration(string key)
    {
        if (!Has(key)) return null;
        var text = _config.GetString(key)?.Trim();
        if (string.Equals(text, "off", StringComparison.OrdinalIgnoreCase) || string.Equals(text, "false", StringComparison.OrdinalIgnoreCase))
            return null;
        return Duration(key);
    }

    /// <summary>A whole number, or "off".</summary>
    private int? OptionalInt(string key, int min, int max = int.MaxValue)
    {
        if (!Has(key)) return null;
        var text = _config.GetString(key)?.Trim();
        if (string.Equals(text, "off", StringComparison.OrdinalIgnoreCase) || string.Equals(text, "false", StringComparison.OrdinalIgnoreCase))
            return null;
        return Int(key, min, max);
    }

    private IPAddress? OptionalAddress(string key, System.Net.Sockets.AddressFamily family)
    {
        var text = String(key).Trim();
        if (text.Length == 0) return null;
        if (IPAddress.TryParse(text.Trim('[', ']'), out var address) && address.AddressFamily == family) return address;
        Problem(key, $"'{text}' is not an {(family == System.Net.Sockets.AddressFamily.InterNetwork ? "IPv4" : "IPv6")} address");
        return null;
    }

    /// <summary>"auto" (detect), or a list of "ipv4" / "ipv6".</summary>
    private AddressFamilies? Families(string key)
    {
        if (!Has(key)) return null;
        if (_config.GetValue(key).IsString() && string.Equals(_config.GetString(key), "auto", StringComparison.OrdinalIgnoreCase)) return null;
        var families = AddressFamilies.None;
        foreach (var text in Strings(key))
        {
            switch (text.Trim().ToLowerInvariant())
            {
                case "ipv4": families |= AddressFamilies.IPv4; break;
                case "ipv6": families |= AddressFamilies.IPv6; break;
                default: Problem(key, $"'{text}' is not a family: use \"auto\" or a list of \"ipv4\", \"ipv6\""); break;
            }
        }
        if (families == AddressFamilies.None) Problem(key, "names no family: use \"auto\" or a list of \"ipv4\", \"ipv6\"");
        return families;
    }

    private string Nat64Prefix(string key)
    {
        var text = String(key).Trim();
        if (text.Length == 0 || text == "auto" || Nat64.Parse(text) is not null) return text;
        Problem(key, $"'{text}' is not \"\", \"auto\" or an RFC 6052 prefix like \"64:ff9b::/96\" (lengths 32, 40, 48, 56, 64, 96)");
        return "";
    }

    private IReadOnlyList<Cidr> Ranges(string key)
    {
        var ranges = new List<Cidr>();
        foreach (var text in Strings(key))
        {
            if (Cidr.Parse(text.Trim()) is { } range) ranges.Add(range);
            else Problem(key, $"'{text}' is not an address range like \"127.0.0.0/8\" or \"fe80::/10\"");
        }
        return ranges;
    }

    private AddressFamilyPolicy FamilyPolicy(string key, string text)
    {
        if (AddressFamilyPolicyNames.ByName.TryGetValue(text.Trim().ToLowerInvariant(), out var policy)) return policy;
        Problem(key, $"'{text}' is not one of {string.Join(", ", AddressFamilyPolicyNames.ByName.Keys)}");
        return AddressFamilyPolicy.Any;
    }

    /// <summary><c>split { "hot.example" = 4 }</c>: sub-queues per domain, 1 to <see cref="QueueSplit.Max"/>.</summary>
    private IReadOnlyDictionary<string, int> Splits(string key)
    {
        var splits = new Dictionary<string, int>();
        if (!Has(key)) return splits;
        foreach (var (name, value) in _config.GetConfig(key)?.AsEnumerable() ?? [])
        {
            var domain = AddressParser.NormaliseDomain(name.Trim('"'));
            if (domain is null || domain.StartsWith('[')) { Problem($"{key}.{name}", "is not a domain name"); continue; }
            var text = value.GetString();
            if (!int.TryParse(text, System.Globalization.NumberStyles.None, null, out var parts)) Problem($"{key}.{name}", $"'{text}' is not a whole number");
            else if (parts is < 1 or > QueueSplit.Max) Problem($"{key}.{name}", $"{parts} is out of range [1, {QueueSplit.Max}]");
            else splits[domain] = parts;
        }
        return splits;
    }

    private IReadOnlyDictionary<string, AddressFamilyPolicy> FamilyPolicies(string key)
    {
        var policies = new Dictionary<string, AddressFamilyPolicy>();
        if (!Has(key)) return policies;
        foreach (var (name, value) in _config.GetConfig(key)?.AsEnumerable() ?? [])
        {
            var domain = AddressParser.NormaliseDomain(name.Trim('"'));
            if (domain is null) { Problem($"{key}.{name}", "is not a domain name"); continue; }
            policies[domain] = FamilyPolicy($"{key}.{name}", value.GetString());
        }
        return policies;
    }

    /// <summary>The <c>tunnel.outbound</c> TLS keys: levels, MTA-STS and the authorities verification trusts.</summary>
    private OutboundTlsSettings OutboundTls()
    {
        const string key = "tunnel.outbound.tls";
        var level = Level(key, String(key));
        if (level is not (TlsLevel.May or TlsLevel.Verify)) Problem(key, $"'{String(key)}' is not one of: may, verify (other levels are per domain, in tls-policy-by-domain)");
        var byDomain = new Dictionary<string, TlsLevel>();
        const string mapKey = "tunnel.outbound.tls-policy-by-domain";
        if (Has(mapKey))
            foreach (var (name, value) in _config.GetConfig(mapKey)?.AsEnumerable() ?? [])
            {
                var domain = AddressParser.NormaliseDomain(name.Trim('"'));
                if (domain is null) { Problem($"{mapKey}.{name}", "is not a domain name"); continue; }
                byDomain[domain] = Level($"{mapKey}.{name}", value.GetString());
            }
        var dnssec = Boolean("tunnel.dns.dnssec");
        if (!dnssec)
            foreach (var (domain, _) in byDomain.Where(p => p.Value == TlsLevel.Dane))
                Problem($"{mapKey}.{domain}", "dane needs tunnel.dns.dnssec = on: DANE trusts the validating resolver's AD bit");
        return new OutboundTlsSettings(level, byDomain, Boolean("tunnel.outbound.mta-sts"), TrustedCas("tunnel.outbound.tls-ca-file"),
            Port("tunnel.outbound.mta-sts-port"), Duration("tunnel.outbound.mta-sts-timeout"), dnssec);
    }

    private TlsLevel Level(string key, string? text)
    {
        var name = text?.Trim().ToLowerInvariant() ?? "";
        if (!TlsLevels.ByName.TryGetValue(name, out var level))
        {
            Problem(key, $"'{text}' is not one of: {string.Join(", ", TlsLevels.ByName.Keys)}");
            return TlsLevel.May;
        }
        return level;
    }

    /// <summary>A PEM bundle of certificate authorities; "" = the system's store.</summary>
    private X509Certificate2Collection? TrustedCas(string key)
    {
        var file = String(key).Trim();
        if (file.Length == 0) return null;
        if (!File.Exists(file)) { Problem(key, $"file '{file}' does not exist"); return null; }
        try
        {
            var bundle = new X509Certificate2Collection();
            bundle.ImportFromPemFile(file);
            if (bundle.Count == 0) Problem(key, $"'{file}' holds no PEM certificate");
            return bundle;
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException)
        {
            Problem(key, $"cannot read '{file}' as PEM certificates: {e.Message}");
            return null;
        }
    }

    private bool Boolean(string key)
    {
        if (!Has(key)) return false;
        var text = _config.GetString(key)?.Trim().ToLowerInvariant();
        switch (text)
        {
            case "on" or "true" or "yes": return true;
            case "off" or "false" or "no": return false;
            default: Problem(key, $"'{text}' is not on or off"); return false;
        }
    }

    /// <summary>CIDR networks ("192.0.2.0/24", "2001:db8::/32"); a bare address is a network of one.</summary>
    private IReadOnlyList<IPNetwork> Networks(string key)
    {
        var networks = new List<IPNetwork>();
        foreach (var text in Strings(key))
        {
            var trimmed = text.Trim();
            if (!trimmed.Contains('/') && IPAddress.TryParse(trimmed.Trim('[', ']'), out var single))
                networks.Add(new IPNetwork(single, single.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            // A network with host bits set ("192.0.2.1/24") is refused: such an entry is most
            // likely a typo for a single host or for another network.
            else if (IPNetwork.TryParse(trimmed, out var network)
                     && IPAddress.TryParse(trimmed[..trimmed.IndexOf('/')], out var written) && written.Equals(network.BaseAddress))
                networks.Add(network);
            else Problem(key, $"'{text}' is not a network like \"192.0.2.0/24\" or \"2001:db8::/32\" (host bits must be zero)");
        }
        return networks;
    }

    /// <summary>
    /// The STARTTLS certificates: the default pair (both PEM files named, or neither: no STARTTLS)
    /// and the list chosen by SNI, which needs the default (served without SNI or when no name
    /// matches). Each pair is loaded here, so a missing file, a PEM that does not parse or a key
    /// of another certificate stops the node at start, naming the key, the entry and the file.
    /// </summary>
    private ServerCertificates? Certificates()
    {
        const string certificateKey = "tunnel.tls.certificate", keyKey = "tunnel.tls.key", listKey = "tunnel.tls.certificates";
        var certificate = String(certificateKey).Trim();
        var key = String(keyKey).Trim();
        var entries = CertificateEntries(listKey);
        if (certificate.Length == 0 && key.Length == 0)
        {
            if (entries.Count > 0)
                Problem(listKey, $"names {entries.Count} certificate(s) but {certificateKey} is empty: the default certificate is needed "
                                 + "for clients that send no SNI, or a name none of these covers");
            return null;
        }
        if (certificate.Length == 0) { Problem(certificateKey, $"is empty but {keyKey} is set; name both PEM files or neither"); return null; }
        if (key.Length == 0) { Problem(keyKey, $"is empty but {certificateKey} is set; name both PEM files or neither"); return null; }
        var loadedDefault = Load(certificateKey, new CertificateFiles(certificateKey, certificate, key));
        var loaded = entries.Select(e => Load(listKey, e)).ToList();
        if (loadedDefault is null || loaded.Any(c => c is null)) return null;
        return new ServerCertificates(loadedDefault, loaded!);
    }

    private ServerCertificate? Load(string problemKey, CertificateFiles files)
    {
        try
        {
            return ServerCertificate.Load(files);
        }
        catch (CertificateLoadException e)
        {
            var entry = files.Key == problemKey ? "" : $"{files.Key[problemKey.Length..]}: "; // "[2]: "
            Problem(problemKey, $"{entry}'{e.File}' {e.Why}");
            return null;
        }
    }

    /// <summary><c>[{ certificate = "…pem", key = "…pem" }, …]</c>, numbered from 1 in messages.</summary>
    private IReadOnlyList<CertificateFiles> CertificateEntries(string key)
    {
        if (!Has(key)) return [];
        var value = _config.GetValue(key);
        IList<HoconValue>? elements = null;
        // Akka's HOCON answers IsArray() false for [], so the list is taken as it comes.
        if (!value.IsString() && !value.IsObject())
        {
            try { elements = value.GetArray(); }
            catch (Exception) { elements = null; }
        }
        if (elements is null)
        {
            Problem(key, "must be a list of { certificate = \"…pem\", key = \"…pem\" }");
            return [];
        }
        var entries = new List<CertificateFiles>();
        var number = 0;
        foreach (var element in elements)
        {
            number++;
            var name = $"{key}[{number}]";
            if (!element.IsObject())
            {
                Problem(key, $"[{number}]: must be {{ certificate = \"…pem\", key = \"…pem\" }}");
                continue;
            }
            var items = element.GetObject().Items;
            foreach (var unknown in items.Keys.Where(k => k is not ("certificate" or "key")))
                Problem(key, $"[{number}]: unknown key '{unknown}' (an entry has certificate and key)");
            var certificate = items.TryGetValue("certificate", out var c) && c.IsString() ? c.GetString().Trim() : "";
            var privateKey = items.TryGetValue("key", out var k) && k.IsString() ? k.GetString().Trim() : "";
            if (certificate.Length == 0 || privateKey.Length == 0)
            {
                Problem(key, $"[{number}]: needs both certificate and key (PEM file names)");
                continue;
            }
            entries.Add(new CertificateFiles(name, certificate, privateKey));
        }
        return entries;
    }

    private IReadOnlySet<string> Domains(string key)
    {
        var domains = new HashSet<string>();
        foreach (var text in Strings(key))
        {
            var domain = AddressParser.NormaliseDomain(text.Trim());
            if (domain is null || domain.StartsWith('[')) Problem(key, $"'{text}' is not a domain name");
            else domains.Add(domain);
        }
        return domains;
    }

    private IReadOnlyList<IPAddress> Addresses(string key)
    {
        var addresses = new List<IPAddress>();
        foreach (var text in Strings(key))
        {
            if (IPAddress.TryParse(text.Trim().Trim('[', ']'), out var address)) addresses.Add(address);
            else Problem(key, $"'{text}' is not an IP address");
        }
        return addresses;
    }

    /// <summary>"192.0.2.1:25", "[2001:db8::1]:25"; with a default port, the port may be left out.</summary>
    private IReadOnlyList<IPEndPoint> Endpoints(string key, int? defaultPort)
    {
        var endpoints = new List<IPEndPoint>();
        foreach (var text in Strings(key))
        {
            var endpoint = ParseEndpoint(text.Trim(), defaultPort);
            if (endpoint is null) Problem(key, $"'{text}' is not an endpoint like \"192.0.2.1:2525\" or \"[2001:db8::1]:2525\"");
            else endpoints.Add(endpoint);
        }
        return endpoints;
    }

    private IReadOnlyList<DnsEndPoint> Seeds(string key)
    {
        var seeds = new List<DnsEndPoint>();
        foreach (var text in Strings(key))
        {
            var colon = text.LastIndexOf(':');
            if (colon > 0 && int.TryParse(text[(colon + 1)..], out var port) && port is > 0 and <= 65535)
                seeds.Add(new DnsEndPoint(text[..colon].Trim('[', ']'), port));
            else Problem(key, $"'{text}' is not a \"host:port\" cluster address");
        }
        return seeds;
    }

    public static IPEndPoint? ParseEndpoint(string text, int? defaultPort)
    {
        if (IPEndPoint.TryParse(text, out var endpoint) && (endpoint.Port != 0 || text.EndsWith(":0")))
        {
            // IPEndPoint.TryParse reads "::1" as an address without port; require brackets then.
            var hasPort = text.StartsWith('[') ? text.Contains("]:") : text.Count(c => c == ':') == 1;
            if (hasPort) return endpoint;
        }
        if (defaultPort is { } port && IPAddress.TryParse(text.Trim('[', ']'), out var address))
            return new IPEndPoint(address, port);
        return null;
    }
}
