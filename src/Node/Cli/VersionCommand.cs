using System.CommandLine;
using System.Reflection;

namespace Tunnel.Node.Cli;

/// <summary><c>tunnel version</c>: this executable's version and runtime.</summary>
public static class VersionCommand
{
    public static string Version =>
        typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(VersionCommand).Assembly.GetName().Version?.ToString() ?? "unknown";

    public static Command Build(CliConsole console)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts" };
        var version = new Command("version", "Print the version") { json };
        version.SetAction(result =>
        {
            console.Out.WriteLine(result.GetValue(json)
                ? $"{{\"version\": \"{Version}\", \"runtime\": \"{Environment.Version}\"}}"
                : $"tunnel {Version} (.NET {Environment.Version})");
            return ExitCodes.Ok;
        });
        return version;
    }
}
