using System.Runtime.InteropServices;
using Tunnel.Node;
using Tunnel.Node.Cli;
using Tunnel.Node.Configuration;

// tunnel [run] [--config <file>]                start a node (the default command)
// tunnel dns check <domain> [--config <file>]   the route this node would take for a domain
// tunnel version                                print the version
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
    case "dns" when arguments.Count >= 2 && arguments[0] == "check":
        return await DnsCheckAsync(arguments[1], arguments.Skip(2).ToList());
    default:
        Console.Error.WriteLine($"tunnel: unknown command '{string.Join(' ', args)}'. Commands: run [--config <file>], dns check <domain> [--config <file>], version.");
        return 64; // EX_USAGE
}

static async Task<int> DnsCheckAsync(string domain, List<string> arguments)
{
    if (ConfigFile(arguments, "tunnel dns check <domain>", out var file) is { } usage) return usage;
    try
    {
        var config = ConfigLoader.Load(file);
        return await DnsCheckCommand.RunAsync(domain, SettingsReader.Read(config), Console.Out);
    }
    catch (ConfigurationException e)
    {
        Console.Error.WriteLine($"tunnel: {e.Message}");
        return 78;
    }
}

/// <summary>Reads "[--config &lt;file&gt;]"; returns an exit code when the arguments are wrong.</summary>
static int? ConfigFile(List<string> arguments, string usage, out string? file)
{
    file = null;
    for (var i = 0; i < arguments.Count; i++)
    {
        if (arguments[i] == "--config" && i + 1 < arguments.Count) file = arguments[++i];
        else
        {
            Console.Error.WriteLine($"tunnel: unexpected argument '{arguments[i]}'. Usage: {usage} [--config <file>]");
            return 64; // EX_USAGE
        }
    }
    return null;
}

static async Task<int> RunAsync(List<string> arguments)
{
    if (ConfigFile(arguments, "tunnel run", out var file) is { } usage) return usage;

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
