namespace Tunnel.Cluster.Ingress.Tls;

/// <summary>
/// Which certificate answers a client's Server Name Indication (RFC 6066 §3): the rules a
/// verifying sender applies to the name it expects (RFC 6125 §6.4), applied by us in advance so
/// that we serve the certificate it will accept. Pure: names in, an index out.
/// <list type="bullet">
/// <item>Names compare case-insensitively, without a trailing dot (§6.4.1); SNI carries A-labels
/// (RFC 6066 §3), so no Unicode folding is done here.</item>
/// <item>A wildcard is <c>*</c> as the whole left-most label and stands for exactly one label:
/// <c>*.example.com</c> matches <c>mx1.example.com</c>, never <c>example.com</c> nor
/// <c>a.b.example.com</c> (§6.4.3). Partial-label wildcards (<c>mx*.example.com</c>,
/// <c>*x.example.com</c>) and a wildcard anywhere else match nothing: §6.4.3 lets a client refuse
/// them, and OpenSSL's and Postfix's checks do, so serving such a certificate would fail anyway.
/// A wildcard over fewer than two labels (<c>*.com</c>) matches nothing either (CA/Browser Forum
/// baseline requirements; no client accepts it).</item>
/// <item>An exact name beats a wildcard; among equals the first configured wins.</item>
/// </list>
/// </summary>
public static class ServerNameMatch
{
    /// <summary>The name in comparable form: lower case, no trailing dot; null when it cannot name a host (empty, an IP literal, not ASCII).</summary>
    public static string? Normalise(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        var trimmed = name.Trim().TrimEnd('.');
        if (trimmed.Length == 0 || trimmed.Length > 253) return null;
        // RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not permitted in HostName".
        if (System.Net.IPAddress.TryParse(trimmed.Trim('[', ']'), out _)) return null;
        foreach (var c in trimmed)
            if (c > 0x7f || char.IsWhiteSpace(c)) return null;
        return trimmed.ToLowerInvariant();
    }

    /// <summary>True when <paramref name="presented"/> (a certificate's DNS name) covers <paramref name="host"/> (a normalised host name).</summary>
    public static bool Matches(string presented, string host)
    {
        var pattern = Normalise(presented);
        if (pattern is null || host.Length == 0) return false;
        if (!pattern.Contains('*')) return pattern == host;
        if (!pattern.StartsWith("*.", StringComparison.Ordinal)) return false; // partial-label or inner wildcard
        var suffix = pattern[1..]; // ".example.com"
        if (suffix.Contains('*')) return false;
        if (suffix.Count(c => c == '.') < 2) return false; // *.com
        if (!host.EndsWith(suffix, StringComparison.Ordinal)) return false;
        var label = host[..^suffix.Length];
        return label.Length > 0 && !label.Contains('.');
    }

    /// <summary>
    /// The candidate whose names cover <paramref name="serverName"/> (exact before wildcard, then
    /// in order), or -1 when none does or the client sent no usable name.
    /// </summary>
    public static int Choose<T>(string? serverName, IReadOnlyList<T> candidates, Func<T, IReadOnlyList<string>> names)
    {
        var host = Normalise(serverName);
        if (host is null) return -1;
        var wildcard = -1;
        for (var i = 0; i < candidates.Count; i++)
        {
            foreach (var name in names(candidates[i]))
            {
                if (!Matches(name, host)) continue;
                if (!name.Contains('*')) return i;
                if (wildcard < 0) wildcard = i;
            }
        }
        return wildcard;
    }
}
