using System.CommandLine;
using System.Text.Json;
using Tunnel.Cluster.Ingress.Protocol;
using Tunnel.Cluster.Ingress.Tls;
using Tunnel.Cluster.Routing;
using Tunnel.Node.Configuration;

namespace Tunnel.Node.Cli;

/// <summary>
/// <c>tunnel dns check &lt;domain&gt;</c> (the route this node would take) and
/// <c>tunnel dns plan --mx &lt;host&gt;…</c> (the records to publish). Both run here, from the
/// configuration (--config), with the node's resolver settings; no running node is needed.
/// </summary>
public static class DnsCommands
{
    public static Command Build(CliConsole console)
    {
        var dns = new Command("dns", "DNS from this node's point of view: the route to a domain, the records to publish");

        var config = ConfigOption();
        var domain = new Argument<string>("domain") { Description = "The destination domain" };
        var checkJson = new Option<bool>("--json") { Description = "Print JSON for scripts instead of text" };
        var check = new Command("check", "The route the tunnel would take for a domain: MX hosts, every address and its verdict")
            { domain, config, checkJson };
        check.SetAction((result, _) => WithSettings(result, config, console,
            settings => DnsCheckCommand.RunAsync(result.GetValue(domain)!, settings, console.Out, result.GetValue(checkJson))));
        dns.Subcommands.Add(check);

        var planConfig = ConfigOption();
        var mx = new Option<string[]>("--mx")
        {
            Description = "An MX host of a tunneled domain (repeat, or give several)",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var ttl = new Option<int>("--ttl") { Description = "TTL of the records, in seconds", DefaultValueFactory = _ => 3600 };
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts instead of zone-file lines" };
        var plan = new Command("plan", "The A/AAAA records to publish for MX hosts so that the tunnel carries their mail (draft §2.1), as zone-file lines")
            { mx, ttl, json, planConfig };
        plan.SetAction((result, cancel) => WithSettings(result, planConfig, console,
            settings => PlanAsync(result.GetValue(mx)!, result.GetValue(ttl), result.GetValue(json), settings, console, cancel)));
        dns.Subcommands.Add(plan);
        return dns;
    }

    public static Option<string?> ConfigOption() => new("--config") { Description = "Configuration file layered over the defaults (cluster.hocon)" };

    /// <summary>Loads the configuration the node would run with; 78 with every bad key when it is invalid.</summary>
    internal static async Task<int> WithSettings(ParseResult result, Option<string?> config, CliConsole console, Func<TunnelSettings, Task<int>> run)
    {
        TunnelSettings settings;
        try
        {
            settings = SettingsReader.Read(ConfigLoader.Load(result.GetValue(config)));
        }
        catch (ConfigurationException e)
        {
            await console.Error.WriteLineAsync($"tunnel: {e.Message}");
            return ExitCodes.Config;
        }
        return await run(settings);
    }

    private static async Task<int> PlanAsync(string[] hosts, int ttl, bool json, TunnelSettings settings, CliConsole console, CancellationToken cancel)
    {
        var names = new List<string>();
        foreach (var host in hosts)
        {
            if (AddressParser.NormaliseDomain(host.Trim().TrimEnd('.')) is { } name && !name.StartsWith('[')) names.Add(name);
            else
            {
                await console.Error.WriteLineAsync($"tunnel dns plan: '{host}' is not a host name");
                return ExitCodes.Usage;
            }
        }
        var tunnel = settings.Ingress.Relay.PublicAddresses;
        var resolver = new RouteResolver(settings.Routing.DnsServers, settings.Routing.DnsTimeout);
        var plans = new List<HostPlan>();
        var failed = false;
        foreach (var name in names.Distinct())
        {
            var (addresses, problem) = await resolver.HostAddressesAsync(name, cancel);
            if (problem is not null && addresses.Count == 0)
            {
                plans.Add(new HostPlan(name, "unknown", [], problem, []));
                failed = true;
                continue;
            }
            var plan = DnsPlan.For(name, addresses, tunnel, ttl);
            failed |= plan.Kind == "no address";
            // Issue 14: the senders of a host we stand in for check our certificate against its name.
            if (plan.Tunneled) plan = plan with { Tls = CertificateCoverage.For(name, settings.Ingress.Certificates, DateTime.UtcNow) };
            plans.Add(plan);
        }

        if (json)
        {
            await console.Out.WriteLineAsync(JsonSerializer.Serialize(new DnsPlanView(tunnel.Select(a => a.ToString()).ToList(), plans),
                DnsPlanJson.Default.DnsPlanView));
        }
        else
        {
            await console.Out.WriteLineAsync($"; Records to publish so that the tunnel carries mail for these MX hosts (draft-mrosenau-email-ipv4-to-6 §2.1).");
            await console.Out.WriteLineAsync(tunnel.Count == 0
                ? "; tunnel.public-addresses is empty: configure the tunnel's shared addresses first."
                : $"; The tunnel's addresses (tunnel.public-addresses): {string.Join(", ", tunnel)}");
            var notOffered = settings.Ingress.Certificates is null && plans.Any(p => p.Tls is not null);
            if (notOffered) await console.Out.WriteLineAsync($"; warning: {CertificateCoverage.NotOffered}");
            foreach (var plan in plans)
            {
                await console.Out.WriteLineAsync();
                await console.Out.WriteLineAsync($"; {plan.Host}: {plan.Note}" + (plan.Own.Count > 0 ? $" [own: {string.Join(", ", plan.Own)}]" : ""));
                if (plan.Tls is { } tls && !notOffered) await console.Out.WriteLineAsync($"; TLS {tls}");
                foreach (var record in plan.Records) await console.Out.WriteLineAsync(record.ToString());
            }
        }
        return failed ? ExitCodes.Failure : ExitCodes.Ok;
    }
}

public sealed record DnsPlanView(IReadOnlyList<string> TunnelAddresses, IReadOnlyList<HostPlan> Hosts);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, WriteIndented = true)]
[System.Text.Json.Serialization.JsonSerializable(typeof(DnsPlanView))]
public sealed partial class DnsPlanJson : System.Text.Json.Serialization.JsonSerializerContext;
