namespace Tunnel.Cluster.Outbound.Policy;

/// <summary>
/// The _mta-sts.&lt;domain&gt; TXT record (RFC 8461 §3.1): "v=STSv1; id=…;". Pure.
/// </summary>
public static class MtaStsRecord
{
    /// <summary>
    /// The policy id the domain publishes, or null when it publishes none: no TXT record that
    /// starts with v=STSv1, or more than one (§3.1: "senders MUST assume the domain does not
    /// implement MTA-STS"), or one whose id is missing or malformed (1 to 32 letters and digits).
    /// </summary>
    /// <param name="records">Each TXT record's strings, already joined.</param>
    public static string? Id(IEnumerable<string> records)
    {
        var sts = records.Where(r => r.StartsWith("v=STSv1", StringComparison.Ordinal)).ToList();
        if (sts.Count != 1) return null;
        var fields = sts[0].Split(';').Select(f => f.Trim(' ', '\t')).Where(f => f.Length > 0).ToList();
        if (fields[0] != "v=STSv1") return null; // "v=STSv10"
        var id = fields.Skip(1).FirstOrDefault(f => f.StartsWith("id=", StringComparison.Ordinal))?[3..];
        return id is { Length: >= 1 and <= 32 } && id.All(char.IsAsciiLetterOrDigit) ? id : null;
    }
}
