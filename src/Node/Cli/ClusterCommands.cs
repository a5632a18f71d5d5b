using System.CommandLine;
using System.Text.Json;
using Tunnel.Node.Admin;

namespace Tunnel.Node.Cli;

/// <summary>
/// <c>tunnel cluster show | leave &lt;address&gt; | down &lt;address&gt; | tail</c>: Petabridge.Cmd's
/// cluster palette. Addresses are the cluster (remoting) addresses as `show` prints them, host:port.
/// </summary>
public static class ClusterCommands
{
    public static Command Build(CliConsole console)
    {
        var options = new NodeOptions();
        var cluster = new Command("cluster", "See and steer the cluster: members, leave, down, live events");
        options.AddTo(cluster);

        var show = new Command("show", "Members with their address, roles, status and reachability; the leader and this node");
        show.SetAction((result, cancel) => ShowAsync(result, options, console, cancel));
        cluster.Subcommands.Add(show);

        foreach (var (name, description) in new[]
                 {
                     ("leave", "Ask a member to leave the cluster gracefully (its shards move first)"),
                     ("down", "Mark a member down (it is dead or cut off; the split-brain resolver does this by itself after stable-after)"),
                 })
        {
            var address = new Argument<string>("address") { Description = "The member's cluster address, host:port, as `tunnel cluster show` prints it" };
            var command = new Command(name, description) { address };
            command.SetAction((result, cancel) => MemberCommandAsync(result, options, console, name, result.GetValue(address)!, cancel));
            cluster.Subcommands.Add(command);
        }

        var tail = new Command("tail", "Print member events as they happen (the current state first) until Ctrl-C");
        tail.SetAction((result, cancel) => TailAsync(result, options, console, cancel));
        cluster.Subcommands.Add(tail);
        return cluster;
    }

    private static async Task<int> ShowAsync(ParseResult result, NodeOptions options, CliConsole console, CancellationToken cancel)
    {
        using var client = options.Client(result, console);
        if (client is null) return ExitCodes.Usage;
        var (code, view) = await client.GetAsync("v1/cluster", AdminJson.Default.ClusterView, cancel);
        if (code != ExitCodes.Ok) return code;
        if (result.GetValue(options.Json)) return Json(console, view!, AdminJson.Default.ClusterView);

        var table = new Table("ADDRESS", "STATUS", "REACHABLE", "ROLES", "");
        foreach (var member in view!.Members)
            table.Add(member.Address, member.Status, member.Reachable ? "yes" : "NO", member.Roles.Count == 0 ? "-" : string.Join(",", member.Roles),
                string.Join(" ", new[] { member.Leader ? "leader" : null, member.Self ? "(this node)" : null }.OfType<string>()));
        table.WriteTo(console.Out);
        await console.Out.WriteLineAsync($"{view.Members.Count} member(s); leader {view.Leader ?? "none"}; this node {view.Self}");
        return ExitCodes.Ok;
    }

    private static async Task<int> MemberCommandAsync(ParseResult result, NodeOptions options, CliConsole console, string action, string address,
        CancellationToken cancel)
    {
        using var client = options.Client(result, console);
        if (client is null) return ExitCodes.Usage;
        var (code, done) = await client.PostAsync($"v1/cluster/{action}", new AddressRequest(address), AdminJson.Default.AddressRequest,
            AdminJson.Default.MemberCommandResult, cancel);
        if (code != ExitCodes.Ok) return code;
        if (result.GetValue(options.Json)) return Json(console, done!, AdminJson.Default.MemberCommandResult);
        await console.Out.WriteLineAsync(action == "leave"
            ? $"{done!.Address} asked to leave; follow it with `tunnel cluster tail` (Leaving, Exiting, Removed)"
            : $"{done!.Address} marked down; its shards start on the remaining members");
        return ExitCodes.Ok;
    }

    private static async Task<int> TailAsync(ParseResult result, NodeOptions options, CliConsole console, CancellationToken cancel)
    {
        using var client = options.Client(result, console);
        if (client is null) return ExitCodes.Usage;
        var json = result.GetValue(options.Json);
        return await client.StreamAsync("v1/cluster/events", async line =>
        {
            if (json)
            {
                await console.Out.WriteLineAsync(line);
                return;
            }
            var e = JsonSerializer.Deserialize(line, AdminJson.Default.ClusterEventView)!;
            await console.Out.WriteLineAsync($"{Format.Time(e.At)}  {e.Event,-18} {e.Address}{(e.Status is null ? "" : $"  {e.Status}")}");
            await console.Out.FlushAsync(cancel);
        }, cancel);
    }

    internal static int Json<T>(CliConsole console, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info)
    {
        console.Out.WriteLine(JsonSerializer.Serialize(value, info));
        return ExitCodes.Ok;
    }
}
