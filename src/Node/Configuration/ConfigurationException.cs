namespace Tunnel.Node.Configuration;

/// <summary>A configuration that cannot run; <see cref="Exception.Message"/> names every bad key and why.</summary>
public sealed class ConfigurationException(IReadOnlyList<string> problems)
    : Exception("invalid configuration:\n  " + string.Join("\n  ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
