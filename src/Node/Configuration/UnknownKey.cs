namespace Tunnel.Node.Configuration;

/// <summary>A key of an operator's file that the node does not know (<see cref="KnownKeys"/>): where it is, and what was probably meant.</summary>
/// <param name="Key">Its full path, e.g. "tunnel.relay.domans".</param>
/// <param name="Line">1-based; null when the scanner could not place it.</param>
/// <param name="Suggestion">The closest known key, if one is close enough to be a typo.</param>
public sealed record UnknownKey(string Key, string File, int? Line, string? Suggestion)
{
    /// <summary>What is wrong, after the key: "unknown key (tunnel.hocon:2); did you mean tunnel.relay.domains?"</summary>
    public string Why => $"unknown key ({File}{(Line is { } line ? $":{line}" : "")})"
                         + (Suggestion is null ? "" : $"; did you mean {Suggestion}?");

    /// <summary>As <see cref="ConfigurationException.Problems"/> lists it.</summary>
    public string Problem => $"{Key}: {Why}";
}
