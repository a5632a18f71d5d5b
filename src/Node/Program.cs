using System.Runtime.InteropServices;
using Tunnel.Node;
using Tunnel.Node.Configuration;

// tunnel [run] [--config <file>]   start a node (the default command)
// tunnel version                   print the version
var arguments = args.ToList();
var command = arguments.Count > 0 && !arguments[0].StartsWith('-') ? arguments[0] : "run";
if (arguments.Count > 0 && arguments[0] == command) arguments.RemoveAt(0);

switch (command)
{
    case "version":
        Console.WriteLine($"tunnel {typeof(TunnelNode).Assembly.GetName().Version}");
        return 0;
    case "run":
        return await RunAsync(arguments);
    default:
        Console.Error.WriteLine($"tunnel: unknown command '{command}'. Commands: run [--config <file>], version.");
        return 64; // EX_USAGE
}

static async Task<int> RunAsync(List<string> arguments)
{
    string? file = null;
    for (var i = 0; i < arguments.Count; i++)
    {
        if (arguments[i] == "--config" && i + 1 < arguments.Count) file = arguments[++i];
        else
        {
            Console.Error.WriteLine($"tunnel run: unexpected argument '{arguments[i]}'. Usage: tunnel run [--config <file>]");
            return 64;
        }
    }

    TunnelNode node;
    try
    {
        var config = ConfigLoader.Load(file);
        node = await TunnelNode.StartAsync(SettingsReader.Read(config), config, Console.Out, CancellationToken.None);
    }
    catch (ConfigurationException e)
    {
        Console.Error.WriteLine($"tunnel: {e.Message}");
        return 78; // EX_CONFIG
    }
    catch (Exception e)
    {
        Console.Error.WriteLine($"tunnel: cannot start: {e.GetBaseException().Message}");
        return 1;
    }

    // Ctrl-C and SIGTERM: a coordinated shutdown, then exit 0.
    using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
    using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
    await node.Terminated;
    return 0;

    void Stop(PosixSignalContext context)
    {
        context.Cancel = true;
        _ = node.StopAsync();
    }
}
