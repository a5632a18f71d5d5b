using System.Net.Sockets;
using Tunnel.Cluster.Ingress.Protocol;
using Tunnel.Cluster.Routing;
using Tunnel.Node.Configuration;

namespace Tunnel.Node.Cli;

/// <summary>
/// <c>tunnel dns check &lt;domain&gt; [--config file]</c>: the route this node would take for a
/// domain, as the delivery engine computes it (same resolver, same own addresses, same families
/// and policies): MX hosts by preference, every address and what the planner made of it, and
/// the verdict. Exit 0 when mail would be delivered somewhere, 1 when it would wait or fail.
/// </summary>
public static class DnsCheckCommand
{
    public static async Task<int> RunAsync(string domainText, TunnelSettings settings, TextWriter output)
    {
        var domain = AddressParser.NormaliseDomain(domainText);
        if (domain is null || domain.StartsWith('['))
        {
            await output.WriteLineAsync($"tunnel dns check: '{domainText}' is not a domain name");
            return 64;
        }
        var resolver = new RouteResolver(settings.Routing.DnsServers, settings.Routing.DnsTimeout);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var policy = await RoutingPolicyBuilder.BuildAsync(settings.Routing, settings.Outbound.Port, settings.Ingress.Listen, resolver, timeout.Token);

        await output.WriteLineAsync($"domain {domain}");
        await output.WriteLineAsync($"node   reaches {policy.Reachable}" + (policy.Nat64 is null ? "" : $", IPv4 through NAT64 {policy.Nat64}")
            + $"; family policy {policy.FamilyPolicyFor(domain)}; next hops on port {policy.Port}");

        var lookup = await resolver.ResolveAsync(domain, timeout.Token);
        if (lookup is RouteFailure failure)
        {
            await output.WriteLineAsync($"verdict {(failure.Permanent ? "fail" : "defer")} {failure.Dsn}: {failure.Detail}");
            return 1;
        }
        var route = (Route)lookup;
        var plan = RoutePlanner.Plan(route, policy with { Shuffle = null });
        await output.WriteLineAsync(route.ImplicitMx ? "mx     none: the domain itself (implicit MX, RFC 5321 §5.1)" : "mx");
        foreach (var host in route.Hosts.OrderBy(h => h.Preference))
        {
            await output.WriteLineAsync($"  {host.Preference,5} {host.Name}" + (host.Addresses.Count == 0 ? "  (no address)" : ""));
            foreach (var address in plan.Addresses.Where(a => a.Host == host))
            {
                var family = address.Address.AddressFamily == AddressFamily.InterNetwork ? "IPv4" : "IPv6";
                var via = address.ConnectTo is { } to && !to.Address.Equals(address.Address) ? $" via {to.Address}" : "";
                await output.WriteLineAsync($"        {address.Address,-40} {family}  {Describe(address.Verdict)}{via}");
            }
        }
        if (plan is Targets targets)
        {
            await output.WriteLineAsync($"verdict deliver, trying in order: {string.Join(", ", targets.List)}");
            return 0;
        }
        var none = (NoTargets)plan;
        await output.WriteLineAsync($"verdict {(none.Permanent ? "fail" : "defer")} {none.Dsn}: {none.Detail}");
        return 1;
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
        _ => verdict.ToString(),
    };
}
