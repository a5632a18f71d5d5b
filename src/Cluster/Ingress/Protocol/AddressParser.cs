using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Tunnel.Messages.Mail;

namespace Tunnel.Cluster.Ingress.Protocol;

/// <summary>
/// Parses the Path of MAIL FROM / RCPT TO strictly by RFC 5321 §4.1.2 (UTF-8 allowed in local
/// parts and domains as RFC 6531 does; whether the session accepts it is the dialog's call).
/// Normalises the domain: lower case, one trailing dot dropped, IDN to A-label, so that relay
/// decisions and shard ids compare one spelling. The local part is kept exactly as sent.
/// </summary>
public static class AddressParser
{
    // RFC 5321 §4.5.3.1: local part 64, domain 255, path 256 octets.
    private const int MaxLocalPart = 64;
    private const int MaxDomain = 255;
    private const int MaxPath = 256;

    private static readonly IdnMapping Idn = new() { UseStd3AsciiRules = true };

    public readonly record struct Result(Mailbox? Mailbox, int Consumed, string? Error)
    {
        public bool Ok => Error is null;
    }

    /// <summary>
    /// Parses "&lt;...&gt;" at the start of <paramref name="text"/>. <paramref name="allowNull"/>
    /// admits "&lt;&gt;" (reverse-path only). A source route ("@a,@b:") is accepted and dropped,
    /// as §4.1.1.3 asks.
    /// </summary>
    public static Result ParsePath(string text, bool allowNull)
    {
        if (text.Length == 0 || text[0] != '<') return Fail("address must be enclosed in <>");
        var close = FindClosingBracket(text);
        if (close < 0) return Fail("missing closing >");
        if (close + 1 > MaxPath + 2) return Fail("path longer than 256 octets");
        var inner = text[1..close];
        if (inner.Length == 0)
            return allowNull ? new Result(null, close + 1, null) : Fail("empty address");
        if (inner[0] == '@')
        {
            var colon = inner.IndexOf(':');
            if (colon < 0) return Fail("bad source route");
            foreach (var hop in inner[..colon].Split(','))
                if (hop.Length < 2 || hop[0] != '@' || NormaliseDomain(hop[1..]) is null) return Fail("bad source route");
            inner = inner[(colon + 1)..];
        }
        var mailbox = ParseMailbox(inner, out var error);
        return mailbox is null ? Fail(error!) : new Result(mailbox, close + 1, null);
    }

    /// <summary>Lower-case A-label form of a domain or address literal; null when it is not one.</summary>
    public static string? NormaliseDomain(string domain)
    {
        if (domain.EndsWith('.')) domain = domain[..^1];
        if (domain.Length == 0 || domain.Length > MaxDomain) return null;
        if (domain[0] == '[') return NormaliseAddressLiteral(domain);
        string ascii;
        try { ascii = Idn.GetAscii(domain).ToLowerInvariant(); }
        catch (ArgumentException) { return null; }
        foreach (var label in ascii.Split('.'))
        {
            if (label.Length is 0 or > 63) return null;
            if (!char.IsAsciiLetterOrDigit(label[0]) || !char.IsAsciiLetterOrDigit(label[^1])) return null;
            foreach (var c in label)
                if (!char.IsAsciiLetterOrDigit(c) && c != '-') return null;
        }
        return ascii.Length <= MaxDomain ? ascii : null;
    }

    private static Mailbox? ParseMailbox(string text, out string? error)
    {
        error = null;
        int at;
        if (text.StartsWith('"'))
        {
            var end = EndOfQuotedString(text);
            if (end < 0) { error = "bad quoted local part"; return null; }
            at = end;
            if (at >= text.Length || text[at] != '@') { error = "missing @domain"; return null; }
        }
        else
        {
            at = text.IndexOf('@');
            if (at <= 0) { error = at == 0 ? "empty local part" : "missing @domain"; return null; }
            if (!IsDotString(text.AsSpan(0, at))) { error = "bad local part"; return null; }
        }
        var local = text[..at];
        if (System.Text.Encoding.UTF8.GetByteCount(local) > MaxLocalPart) { error = "local part longer than 64 octets"; return null; }
        var domain = NormaliseDomain(text[(at + 1)..]);
        if (domain is null) { error = "bad domain"; return null; }
        return new Mailbox(local, domain);
    }

    private static bool IsDotString(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty || s[0] == '.' || s[^1] == '.') return false;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '.') { if (s[i - 1] == '.') return false; continue; }
            if (!IsAtext(c)) return false;
        }
        return true;
    }

    // RFC 5322 atext plus RFC 6531 UTF8-non-ascii.
    private static bool IsAtext(char c) =>
        char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-/=?^_`{|}~".Contains(c) || (c > 127 && !char.IsControl(c) && !char.IsWhiteSpace(c));

    /// <summary>Index just past the closing quote of a quoted-string at 0, or -1.</summary>
    private static int EndOfQuotedString(string s)
    {
        for (var i = 1; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '\\')
            {
                if (i + 1 >= s.Length || s[i + 1] < 32 || s[i + 1] == 127) return -1;
                i++;
            }
            else if (c == '"') return i + 1;
            else if (c < 32 || c == 127) return -1;
        }
        return -1;
    }

    private static int FindClosingBracket(string s)
    {
        var quoted = false;
        for (var i = 1; i < s.Length; i++)
        {
            var c = s[i];
            if (quoted && c == '\\') { i++; continue; }
            if (c == '"') quoted = !quoted;
            else if (c == '>' && !quoted) return i;
        }
        return -1;
    }

    private static string? NormaliseAddressLiteral(string literal)
    {
        if (literal.Length < 3 || literal[^1] != ']') return null;
        var inner = literal[1..^1];
        if (inner.StartsWith("IPv6:", StringComparison.OrdinalIgnoreCase))
            return IPAddress.TryParse(inner[5..], out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6
                ? $"[ipv6:{v6}]" : null;
        return IPAddress.TryParse(inner, out var v4) && v4.AddressFamily == AddressFamily.InterNetwork && inner.Count(c => c == '.') == 3
            ? $"[{v4}]" : null;
    }

    private static Result Fail(string error) => new(null, 0, error);
}
