namespace Tunnel.Node.Configuration;

/// <summary>A configuration that cannot run; <see cref="Exception.Message"/> names every bad key and why.</summary>
/// <param name="unknownKeys">Those of the problems that are unknown keys, with their file, line and suggestion (also in <paramref name="problems"/>).</param>
public sealed class ConfigurationException(IReadOnlyList<string> problems, IReadOnlyList<UnknownKey>? unknownKeys = null)
    : Exception("invalid configuration:\n  " + string.Join("\n  ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;

    public IReadOnlyList<UnknownKey> UnknownKeys { get; } = unknownKeys ?? [];
}
