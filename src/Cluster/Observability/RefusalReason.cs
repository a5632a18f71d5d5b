namespace Tunnel.Cluster.Observability;

/// <summary>
/// A short, stable word for why a client was refused, from the enhanced status code of our
/// reply (the catalogue in <c>SmtpReplies</c> gives each refusal its own): the label of
/// <c>tunnel_messages_refused_total</c>. A code without a word keeps the code itself, so nothing
/// is counted under a misleading name.
/// </summary>
public static class RefusalReason
{
    private static readonly Dictionary<string, string> ByCode = new()
    {
        ["5.7.1"] = "relay-denied",
        ["4.4.3"] = "domain-not-verified",
        ["4.5.3"] = "too-many-recipients",
        ["5.6.7"] = "utf8-needs-smtputf8",
        ["5.3.4"] = "message-too-big",
        ["5.4.6"] = "mail-loop",
        ["5.6.0"] = "bad-content",
        ["4.3.0"] = "not-stored",
        ["4.7.0"] = "too-many-connections",
        ["5.5.0"] = "early-talker",
        ["5.1.1"] = "unknown-recipient",
        ["4.1.1"] = "unverified-recipient",
        ["4.3.1"] = "insufficient-resources",
    };

    /// <param name="reply">Our reply as sent, e.g. "550 5.7.1 Relaying denied".</param>
    public static string Of(string reply)
    {
        var parts = reply.Split(' ', 3);
        if (parts.Length < 2) return "other";
        return ByCode.TryGetValue(parts[1], out var word) ? word : parts[1].Count(c => c == '.') == 2 ? parts[1] : "other";
    }
}
