namespace Tunnel.Cluster.Ingress.Protocol;

/// <summary>
/// How long a command line may be: RFC 5321 §4.5.3.1.4's 512 octets (the configured base,
/// without CRLF), raised for MAIL and RCPT only by what the parameters of the extensions we
/// advertise may add, as each extension's RFC allows. Pure.
/// </summary>
public static class CommandLineLimits
{
    // MAIL: SIZE 26 (RFC 1870 §3), BODY 16 (RFC 6152 §2), RET and ENVID 110 (RFC 3461 §4),
    // SMTPUTF8 10 (RFC 6531 §3.4).
    public const int MailAllowance = 26 + 16 + 110 + 10;
    // RCPT: NOTIFY and ORCPT 500 (RFC 3461 §4).
    public const int RcptAllowance = 500;

    /// <summary>The longest line any command may have: what the line reader must let through.</summary>
    public static int Longest(int baseLimit) => baseLimit + Math.Max(MailAllowance, RcptAllowance);

    /// <summary>The limit for this line's verb.</summary>
    public static int For(ReadOnlySpan<byte> line, int baseLimit)
    {
        if (StartsWithVerb(line, "MAIL"u8)) return baseLimit + MailAllowance;
        if (StartsWithVerb(line, "RCPT"u8)) return baseLimit + RcptAllowance;
        return baseLimit;
    }

    private static bool StartsWithVerb(ReadOnlySpan<byte> line, ReadOnlySpan<byte> verb)
    {
        if (line.Length < verb.Length) return false;
        for (var i = 0; i < verb.Length; i++)
            if ((line[i] & ~0x20) != verb[i]) return false;
        return line.Length == verb.Length || line[verb.Length] == ' ';
    }
}
