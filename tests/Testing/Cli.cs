using System.Text.Json;
using Tunnel.Node.Cli;

namespace Tunnel.Tests.Testing;

/// <summary>What one `tunnel …` command printed and exited with.</summary>
public sealed record CliResult(int Code, string Output, string Error)
{
    /// <summary>The output as JSON (for --json commands).</summary>
    public JsonElement Json => JsonDocument.Parse(Output).RootElement;

    public override string ToString() => $"exit {Code}\n--- stdout\n{Output}--- stderr\n{Error}";
}

/// <summary>
/// Runs the `tunnel` command line in the test process, exactly as the executable does (same
/// parser, same commands, same HTTP client), with its output captured. Commands that ask a node
/// reach it over real loopback HTTP.
/// </summary>
public static class Cli
{
    public static async Task<CliResult> RunAsync(params string[] arguments) => await RunAsync(CancellationToken.None, arguments);

    public static async Task<CliResult> RunAsync(CancellationToken cancel, params string[] arguments)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await TunnelCli.RunAsync(arguments, new CliConsole(output, error), cancel);
        return new CliResult(code, output.ToString(), error.ToString());
    }

    /// <summary>For a command that runs until cancelled (`cluster tail`): its lines arrive in <paramref name="output"/> as it goes.</summary>
    public static Task<int> RunAsync(TextWriter output, TextWriter error, CancellationToken cancel, params string[] arguments) =>
        TunnelCli.RunAsync(arguments, new CliConsole(output, error), cancel);
}
