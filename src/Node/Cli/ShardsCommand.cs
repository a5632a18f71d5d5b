using System.CommandLine;
using Tunnel.Node.Admin;

namespace Tunnel.Node.Cli;

/// <summary><c>tunnel shards</c>: each node's domain-queue shard region, its shards and the domains (entities) in each.</summary>
public static class ShardsCommand
{
    public static Command Build(CliConsole console)
    {
        var options = new NodeOptions();
        var shards = new Command("shards", "Shards of the domain queues per node, and the domains each holds");
        options.AddTo(shards);
        shards.SetAction(async (result, cancel) =>
        {
            using var client = options.Client(result, console);
            if (client is null) return ExitCodes.Usage;
            var (code, view) = await client.GetAsync("v1/shards", AdminJson.Default.ShardsView, cancel);
            if (code != ExitCodes.Ok) return code;
            if (result.GetValue(options.Json)) return ClusterCommands.Json(console, view!, AdminJson.Default.ShardsView);

            var table = new Table("NODE", "SHARD", "DOMAINS");
            foreach (var node in view!.Nodes)
            {
                if (node.Shards.Count == 0) table.Add(node.Node, "-", "-");
                foreach (var shard in node.Shards) table.Add(node.Node, shard.Id, string.Join(", ", shard.Domains));
            }
            table.WriteTo(console.Out);
            await console.Out.WriteLineAsync(string.Join("; ", view.Nodes.Select(n =>
                $"{n.Node}: {n.Shards.Count} shard(s), {n.Shards.Sum(s => s.Domains.Count)} domain(s)")));
            Unanswered(console, view.Unanswered);
            return ExitCodes.Ok;
        });
        return shards;
    }

    /// <summary>A partial answer is said out loud, on standard error, so a table is never silently short.</summary>
    internal static void Unanswered(CliConsole console, IReadOnlyList<string> unanswered)
    {
        foreach (var who in unanswered) console.Error.WriteLine($"tunnel: warning: no answer from {who}; the list above lacks it");
    }
}
