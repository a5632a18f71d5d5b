using System.Globalization;
using System.Text;

namespace Tunnel.Cluster.Ingress.Protocol;

/// <summary>
/// The parameter part of MAIL and RCPT (RFC 5321 §4.1.2: esmtp-param *(SP esmtp-param)) and the
/// xtext encoding DSN values use (RFC 3461 §4). Pure.
/// </summary>
public static class EsmtpParameters
{
    /// <summary>
    /// Splits " KEY=value KEY2" into keyword/value pairs; null when the text breaks the grammar
    /// (two spaces, an empty value, a bad keyword, a repeated keyword). Values may hold UTF-8
    /// beyond ASCII (RFC 6531 §3.3 extends esmtp-value); each keyword checks its own value.
    /// </summary>
    public static IReadOnlyList<(string Keyword, string? Value)>? Split(string text)
    {
        var result = new List<(string, string?)>();
        if (text.Length == 0) return result;
        if (text[0] != ' ') return null;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var token in text[1..].Split(' '))
        {
            if (token.Length == 0) return null;
            var eq = token.IndexOf('=');
            var keyword = eq < 0 ? token : token[..eq];
            var value = eq < 0 ? null : token[(eq + 1)..];
            if (keyword.Length == 0 || !char.IsAsciiLetterOrDigit(keyword[0]) || keyword.Any(c => !char.IsAsciiLetterOrDigit(c) && c != '-'))
                return null;
            // esmtp-value = 1*(%d33-60 / %d62-126), plus UTF-8 (RFC 6531 §3.3); never a control.
            if (value is not null && (value.Length == 0 || value.Any(c => c is < '!' or '=' or '\x7f' || char.IsControl(c))))
                return null;
            // RFC 5321 §4.1.2 does not allow a keyword twice; RFC 3461 §4 says so for its own.
            if (!seen.Add(keyword)) return null;
            result.Add((keyword, value));
        }
        return result;
    }

    /// <summary>
    /// Decodes xtext (RFC 3461 §4: printable ASCII but "+" and "=", with "+HH" for any octet,
    /// HH upper-case hex). With <paramref name="unicode"/> (RFC 6533 §3, utf-8-addr-xtext and
    /// -unitext) "\x{HHHH}" stands for a Unicode scalar and raw UTF-8 is kept. Null when malformed.
    /// </summary>
    public static string? DecodeXtext(string text, bool unicode = false)
    {
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '+')
            {
                if (i + 2 >= text.Length || !IsUpperHex(text[i + 1]) || !IsUpperHex(text[i + 2])) return null;
                bytes.Add(byte.Parse(text.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                i += 2;
            }
            else if (unicode && c == '\\' && i + 1 < text.Length && text[i + 1] == 'x')
            {
                var close = text.IndexOf('}', i);
                if (i + 2 >= text.Length || text[i + 2] != '{' || close < 0) return null;
                var hex = text.AsSpan(i + 3, close - i - 3);
                if (hex.Length is < 2 or > 6 || !int.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var scalar)
                    || !Rune.IsValid(scalar) || scalar < 0x80)
                    return null;
                bytes.AddRange(Encoding.UTF8.GetBytes(new Rune(scalar).ToString()));
                i = close;
            }
            else if (c is >= '!' and <= '~' && c != '=')
                bytes.Add((byte)c);
            else if (unicode && c > 127 && !char.IsControl(c))
                bytes.AddRange(Encoding.UTF8.GetBytes(char.IsHighSurrogate(c) && i + 1 < text.Length ? text.Substring(i++, 2) : c.ToString()));
            else
                return null;
        }
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>xtext encoding of printable ASCII text (the inverse of <see cref="DecodeXtext"/> for ASCII).</summary>
    public static string EncodeXtext(string text)
    {
        var output = new StringBuilder(text.Length);
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            if (b is >= (byte)'!' and <= (byte)'~' && b != '+' && b != '=') output.Append((char)b);
            else output.Append('+').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return output.ToString();
    }

    private static bool IsUpperHex(char c) => char.IsAsciiDigit(c) || c is >= 'A' and <= 'F';
}
