using System.CommandLine;
using System.Runtime.InteropServices;
using Tunnel.Node.Configuration;

namespace Tunnel.Node.Cli;

/// <summary>
/// <c>tunnel [run] [--config file]</c>: start a node and run until Ctrl-C or SIGTERM, which run
/// the coordinated shutdown; exit 0 then, 78 for an invalid configuration, 1 when it cannot start.
/// </summary>
public static class RunCommand
{
    public static Command Build(CliConsole console, Option<string?> config)
    {
        var run = new Command("run", "Start a node (the default command)") { config };
        run.SetAction((result, cancel) => RunAsync(result.GetValue(config), console, cancel));
        return run;
    }

    public static async Task<int> RunAsync(string? file, CliConsole console, CancellationToken cancel)
    {
        // Ctrl-C and SIGTERM: a coordinated shutdown, then exit 0. One that comes while the node
        // is still starting (e.g. waiting for its seed nodes) cancels the start instead of
        // waiting for the join to time out: an orchestrator's SIGTERM must not hang for minutes.
        using var starting = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        TunnelNode? node = null;
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        try
        {
            var config = ConfigLoader.Load(file);
            node = await TunnelNode.StartAsync(SettingsReader.Read(config), config, console.Out, starting.Token);
        }
        catch (ConfigurationException e)
        {
            await console.Error.WriteLineAsync($"tunnel: {e.Message}");
            return ExitCodes.Config;
        }
        catch (OperationCanceledException) when (starting.IsCancellationRequested)
        {
            await console.Error.WriteLineAsync("tunnel: stopped before the node had started");
            return ExitCodes.Ok;
        }
        catch (Exception e)
        {
            await console.Error.WriteLineAsync($"tunnel: cannot start: {e.GetBaseException().Message}");
            return ExitCodes.Failure;
        }

        if (starting.IsCancellationRequested) _ = node.StopAsync(); // the signal came just as the start ended
        await node.Terminated;
        return ExitCodes.Ok;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            if (Volatile.Read(ref node) is { } running) _ = running.StopAsync();
            else starting.Cancel();
        }
    }
}
