using Tunnel.Node.Cli;

// tunnel [run] [--config <file>]     start a node (the default command)
// tunnel cluster|shards|queue …      steer a running node through its admin endpoint (--node host:port)
// tunnel dns|config|version …        from a configuration alone
// `tunnel --help` lists every command; exit codes: Cli/ExitCodes.cs and the README.
using var interrupted = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl-C ends `tail` or a node still joining its cluster; a running node shuts
    // down through its own signal handler (RunCommand). A second one kills as usual.
    e.Cancel = !interrupted.IsCancellationRequested;
    interrupted.Cancel();
};
return await TunnelCli.RunAsync(args, CliConsole.System, interrupted.Token);
