namespace Tunnel.Cluster.Outbound.Policy;

public enum MtaStsMode { None, Testing, Enforce }

/// <summary>
/// An MTA-STS policy (RFC 8461 §3.2) as fetched from https://mta-sts.&lt;domain&gt;/.well-known/mta-sts.txt,
/// with the id of the TXT record it was fetched under (§3.1). Pure: parsing and MX matching.
/// </summary>
/// <param name="MaxAge">How long the policy may be cached (max_age, at most 31557600 s = one year, §3.2).</param>
/// <param name="Mx">The MX host patterns, lower case: names, or "*.example.com" standing for exactly one leftmost label (§4.1).</param>
public sealed record MtaStsPolicy(MtaStsMode Mode, TimeSpan MaxAge, IReadOnlyList<string> Mx, string Id = "")
{
    /// <summary>The largest max_age RFC 8461 §3.2 allows: 31557600 seconds.</summary>
    public const long MaxAgeLimit = 31_557_600;

    /// <summary>Policy bodies are small; a bigger one is refused rather than read without bound (§3.3 suggests 64 KiB).</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>Whether <paramref name="host"/> is an MX host the policy lists (§4.1).</summary>
    public bool Matches(string host)
    {
        var name = host.TrimEnd('.').ToLowerInvariant();
        foreach (var pattern in Mx)
        {
            if (pattern.StartsWith("*.", StringComparison.Ordinal))
            {
                var dot = name.IndexOf('.');
                if (dot > 0 && name[(dot + 1)..] == pattern[2..]) return true;
            }
            else if (name == pattern) return true;
        }
        return false;
    }

    public string Describe() => $"the MTA-STS policy (mode {Mode.ToString().ToLowerInvariant()}, mx {string.Join(" ", Mx)})";

    /// <summary>
    /// Parses a policy body (§3.2): "key: value" lines ended by CRLF or LF; version STSv1, mode,
    /// max_age and (unless mode is none) at least one mx are required; unknown keys are ignored
    /// (§3.2: for extension); of a repeated key other than mx the first counts.
    /// </summary>
    /// <returns>The policy, or null and why not.</returns>
    public static (MtaStsPolicy? Policy, string? Problem) Parse(string text, string id = "")
    {
        string? version = null, mode = null, maxAge = null;
        var mx = new List<string>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0) continue;
            var colon = line.IndexOf(':');
            if (colon <= 0) return (null, $"line '{line}' is not \"key: value\"");
            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim(' ', '\t');
            switch (key)
            {
                case "version": version ??= value; break;
                case "mode": mode ??= value; break;
                case "max_age": maxAge ??= value; break;
                case "mx": mx.Add(value.TrimEnd('.').ToLowerInvariant()); break;
            }
        }
        if (version != "STSv1") return (null, version is null ? "no version" : $"version '{version}' is not STSv1");
        MtaStsMode parsedMode;
        switch (mode)
        {
            case "enforce": parsedMode = MtaStsMode.Enforce; break;
            case "testing": parsedMode = MtaStsMode.Testing; break;
            case "none": parsedMode = MtaStsMode.None; break;
            default: return (null, mode is null ? "no mode" : $"mode '{mode}' is not enforce, testing or none");
        }
        if (maxAge is null || maxAge.Length is 0 or > 10 || !maxAge.All(char.IsAsciiDigit) || long.Parse(maxAge) > MaxAgeLimit)
            return (null, maxAge is null ? "no max_age" : $"max_age '{maxAge}' is not a number of seconds up to {MaxAgeLimit}");
        if (mx.Count == 0 && parsedMode != MtaStsMode.None) return (null, "no mx");
        if (mx.FirstOrDefault(p => !ValidPattern(p)) is { } bad) return (null, $"mx '{bad}' is not a host name or *.domain");
        return (new MtaStsPolicy(parsedMode, TimeSpan.FromSeconds(long.Parse(maxAge)), mx, id), null);
    }

    private static bool ValidPattern(string pattern)
    {
        var name = pattern.StartsWith("*.", StringComparison.Ordinal) ? pattern[2..] : pattern;
        return name.Length > 0 && name.Split('.').All(label => label.Length is > 0 and <= 63
            && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'));
    }
}
