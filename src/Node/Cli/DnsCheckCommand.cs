using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using Tunnel.Cluster.Ingress.Protocol;
using Tunnel.Cluster.Ingress.Tls;
using Tunnel.Cluster.Routing;
using Tunnel.Node.Configuration;

namespace Tunnel.Node.Cli;

/// <summary>
/// <c>tunnel dns check &lt;domain&gt; [--config file] [--json]</c>: the route this node would take
/// for a domain, as the delivery engine computes it (same resolver, same own addresses, same
/// families and policies): MX hosts by preference, every address and what the planner made of
/// it, and the verdict; for the MX hosts that point at us (tunneled hosts, whose senders believe
/// they reach that host), the certificate this node would serve them and a warning when a sender
/// that verifies TLS would refuse it (issue 14). Exit 0 when mail would be delivered somewhere,
/// 1 when it would wait or fail; TLS warnings do not change it (plaintext and opportunistic
/// senders still deliver).
/// </summary>
public static class DnsCheckCommand
{
    public static async Task<int> RunAsync(string domainText, TunnelSettings settings, TextWriter output, bool json = false)
    {
        var domain = AddressParser.NormaliseDomain(domainText);
        if (domain is null || domain.StartsWith('['))
        {
            await output.WriteLineAsync($"tunnel dns check: '{domainText}' is not a domain name");
            return 64;
        }
        var check = await CheckAsync(domain, settings);
        if (json) await output.WriteLineAsync(JsonSerializer.Serialize(check, DnsCheckJson.Default.DnsCheckView));
        else await WriteTextAsync(check, output);
        return check.Verdict == "deliver" ? 0 : 1;
    }

    private static async Task<DnsCheckView> CheckAsync(string domain, TunnelSettings settings)
    {
        var resolver = new RouteResolver(settings.Routing.DnsServers, settings.Routing.DnsTimeout);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var policy = await RoutingPolicyBuilder.BuildAsync(settings.Routing, settings.Outbound.Port, settings.Ingress.Listen, resolver, timeout.Token);
        var view = new DnsCheckView(domain, policy.Reachable.ToString(), policy.Nat64?.ToString(), policy.FamilyPolicyFor(domain).ToString(),
            policy.Port, ImplicitMx: false, Hosts: [], Verdict: "", Dsn: null, Detail: null, Targets: []);

        var lookup = await resolver.ResolveAsync(domain, timeout.Token);
        if (lookup is RouteFailure failure)
            return view with { Verdict = failure.Permanent ? "fail" : "defer", Dsn = failure.Dsn, Detail = failure.Detail };
        var route = (Route)lookup;
        var plan = RoutePlanner.Plan(route, policy with { Shuffle = null });
        var hosts = route.Hosts.OrderBy(h => h.Preference).Select(host => new DnsCheckHost(host.Preference, host.Name,
            plan.Addresses.Where(a => a.Host == host).Select(a => new DnsCheckAddress(a.Address.ToString(),
                a.Address.AddressFamily == AddressFamily.InterNetwork ? "IPv4" : "IPv6", Describe(a.Verdict),
                a.ConnectTo is { } to && !to.Address.Equals(a.Address) ? to.Address.ToString() : null)).ToList())).ToList();
        var tunneled = plan.Addresses.Where(a => a.Verdict == AddressVerdict.Ours).Select(a => a.Host.Name).Distinct().ToList();
        var now = DateTime.UtcNow;
        view = view with
        {
            ImplicitMx = route.ImplicitMx, Hosts = hosts, Resolved = true,
            Tls = tunneled.Select(h => CertificateCoverage.For(h, settings.Ingress.Certificates, now)).ToList(),
        };
        return plan is Targets targets
            ? view with { Verdict = "deliver", Targets = targets.List.Select(t => t.ToString()!).ToList() }
            : view with { Verdict = ((NoTargets)plan).Permanent ? "fail" : "defer", Dsn = ((NoTargets)plan).Dsn, Detail = ((NoTargets)plan).Detail };
    }

    private static async Task WriteTextAsync(DnsCheckView check, TextWriter output)
    {
        await output.WriteLineAsync($"domain {check.Domain}");
        await output.WriteLineAsync($"node   reaches {check.Reaches}" + (check.Nat64 is null ? "" : $", IPv4 through NAT64 {check.Nat64}")
            + $"; family policy {check.FamilyPolicy}; next hops on port {check.Port}");
        if (!check.Resolved)
        {
            await output.WriteLineAsync($"verdict {check.Verdict} {check.Dsn}: {check.Detail}");
            return;
        }
        await output.WriteLineAsync(check.ImplicitMx ? "mx     none: the domain itself (implicit MX, RFC 5321 §5.1)" : "mx");
        foreach (var host in check.Hosts)
        {
            await output.WriteLineAsync($"  {host.Preference,5} {host.Name}" + (host.Addresses.Count == 0 ? "  (no address)" : ""));
            foreach (var address in host.Addresses)
                await output.WriteLineAsync($"        {address.Address,-40} {address.Family}  {address.Verdict}{(address.Via is null ? "" : $" via {address.Via}")}");
        }
        if (check.Tls.Count > 0 && check.Tls.All(t => t.Certificate is null))
            await output.WriteLineAsync($"tls    warning: {CertificateCoverage.NotOffered}");
        else
            foreach (var tls in check.Tls) await output.WriteLineAsync($"tls    {tls}");
        await output.WriteLineAsync(check.Verdict == "deliver"
            ? $"verdict deliver, trying in order: {string.Join(", ", check.Targets)}"
            : $"verdict {check.Verdict} {check.Dsn}: {check.Detail}");
    }

    private static string Describe(AddressVerdict verdict) => verdict switch
    {
        AddressVerdict.Use => "use",
        AddressVerdict.Ours => "ours (never delivered to)",
        AddressVerdict.Prohibited => "prohibited (tunnel.outbound.prohibited)",
        AddressVerdict.FamilyUnreachable => "unreachable from this node (tunnel.outbound.families)",
        AddressVerdict.FamilyPolicy => "excluded by the family policy",
        AddressVerdict.BehindOurselves => "skipped: at or after an MX that is ourselves (loop rule)",
        AddressVerdict.OverLimit => "beyond tunnel.outbound.address-limit",
        AddressVerdict.Undecided => "undecided: an address lookup at this MX preference or a better one failed",
        _ => verdict.ToString(),
    };
}

/// <summary><c>tunnel dns check --json</c>: the route as data. <paramref name="Verdict"/> is deliver, defer or fail.</summary>
/// <param name="Targets">For deliver: "host[address]:port" in the order they would be tried.</param>
public sealed record DnsCheckView(string Domain, string Reaches, string? Nat64, string FamilyPolicy, int Port, bool ImplicitMx,
    IReadOnlyList<DnsCheckHost> Hosts, string Verdict, string? Dsn, string? Detail, IReadOnlyList<string> Targets)
{
    /// <summary>The MX hosts that point at this tunnel, each with the certificate a sender would get and any warning.</summary>
    public IReadOnlyList<HostCertificate> Tls { get; init; } = [];

    /// <summary>False when the lookup itself failed (no MX section to show).</summary>
    [JsonIgnore] public bool Resolved { get; init; }
}

public sealed record DnsCheckHost(int Preference, string Name, IReadOnlyList<DnsCheckAddress> Addresses);

/// <param name="Via">The address actually connected to when it differs (NAT64 synthesis).</param>
public sealed record DnsCheckAddress(string Address, string Family, string Verdict, string? Via);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(DnsCheckView))]
public sealed partial class DnsCheckJson : JsonSerializerContext;
