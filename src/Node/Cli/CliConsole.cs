namespace Tunnel.Node.Cli;

/// <summary>Where a command writes: standard output and error for the executable, writers of their own in tests.</summary>
public sealed record CliConsole(TextWriter Out, TextWriter Error)
{
    public static CliConsole System => new(Console.Out, Console.Error);
}
