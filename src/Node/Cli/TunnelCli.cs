using System.CommandLine;

namespace Tunnel.Node.Cli;

/// <summary>
/// The `tunnel` command line: `run` (the default) starts a node; the other commands steer a
/// running node through its admin endpoint (cluster, shards, queue) or work from a configuration
/// alone (dns, config, version). Tables for people, --json for scripts, exit codes in
/// <see cref="ExitCodes"/>.
/// </summary>
public static class TunnelCli
{
    public static RootCommand Build(CliConsole console)
    {
        var config = DnsCommands.ConfigOption();
        var root = new RootCommand("Tunnel: a clustered SMTP relay between IPv4-only and IPv6-only mail servers (draft-mrosenau-email-ipv4-to-6)")
        {
            config,
        };
        root.SetAction((result, cancel) => RunCommand.RunAsync(result.GetValue(config), console, cancel));
        root.Subcommands.Add(RunCommand.Build(console, config));
        root.Subcommands.Add(ClusterCommands.Build(console));
        root.Subcommands.Add(ShardsCommand.Build(console));
        root.Subcommands.Add(QueueCommands.Build(console));
        root.Subcommands.Add(DnsCommands.Build(console));
        root.Subcommands.Add(ConfigCommands.Build(console));
        root.Subcommands.Add(VersionCommand.Build(console));
        return root;
    }

    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancel)
    {
        var parsed = Build(console).Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors) await console.Error.WriteLineAsync($"tunnel: {error.Message}");
            await console.Error.WriteLineAsync("Try 'tunnel --help' (or 'tunnel <command> --help').");
            return ExitCodes.Usage;
        }
        // Ctrl-C is the caller's (Program: tail ends, run shuts down), not the library's.
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = console.Out, Error = console.Error, ProcessTerminationTimeout = null },
            cancel);
    }
}
