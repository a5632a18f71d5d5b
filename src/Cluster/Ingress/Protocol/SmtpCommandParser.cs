using Tunnel.Messages.Mail;

namespace Tunnel.Cluster.Ingress.Protocol;

/// <summary>
/// Turns one command line (CRLF already removed by <see cref="CommandLineReader"/>) into a
/// <see cref="SmtpCommand"/>. Pure: no state, no I/O. Verbs are case-insensitive
/// (RFC 5321 §2.4); arguments are parsed strictly, except that a space after "FROM:"/"TO:" is
/// tolerated because widespread clients send one.
/// </summary>
public static class SmtpCommandParser
{
    public static SmtpCommand Parse(string line)
    {
        var space = line.IndexOf(' ');
        var verb = space < 0 ? line : line[..space];
        var argument = space < 0 ? "" : line[(space + 1)..];
        return verb.ToUpperInvariant() switch
        {
            "EHLO" => ParseHello(argument, extended: true),
            "HELO" => ParseHello(argument, extended: false),
            "MAIL" => ParseMail(argument),
            "RCPT" => ParseRcpt(argument),
            "DATA" => NoArgument(SmtpVerb.Data, argument, "DATA"),
            "RSET" => NoArgument(SmtpVerb.Rset, argument, "RSET"),
            "QUIT" => NoArgument(SmtpVerb.Quit, argument, "QUIT"),
            // NOOP may carry a string, which is ignored (RFC 5321 §4.1.1.9).
            "NOOP" => new SimpleCommand(SmtpVerb.Noop),
            "VRFY" or "EXPN" or "HELP" or "BDAT" or "STARTTLS" or "ETRN" or "AUTH" or "TURN" or "ATRN"
                => new SimpleCommand(SmtpVerb.NotImplemented),
            _ => new SimpleCommand(SmtpVerb.Unknown),
        };
    }

    private static SmtpCommand NoArgument(SmtpVerb verb, string argument, string name) =>
        argument.Length == 0 ? new SimpleCommand(verb) : new InvalidCommand(SmtpReplies.Syntax(name));

    private static SmtpCommand ParseHello(string argument, bool extended)
    {
        var name = argument.Trim();
        if (name.Length == 0 || name.Contains(' ') || name.Any(char.IsControl))
            return new InvalidCommand(SmtpReplies.Syntax(extended ? "EHLO hostname" : "HELO hostname"));
        return new HelloCommand(extended, name);
    }

    private static SmtpCommand ParseMail(string argument)
    {
        if (!TryStripKeyword(argument, "FROM:", out var rest))
            return new InvalidCommand(SmtpReplies.Syntax("MAIL FROM:<address>"));
        var path = AddressParser.ParsePath(rest, allowNull: true);
        if (!path.Ok)
            return new InvalidCommand(new SmtpReply(501, "5.1.7", $"Bad sender address syntax: {path.Error}"));

        long? size = null;
        var body = BodyType.Unspecified;
        var parameters = Parameters(rest[path.Consumed..], out var bad);
        if (bad) return new InvalidCommand(SmtpReplies.Syntax("MAIL FROM:<address> [parameters]"));
        foreach (var (keyword, value) in parameters)
        {
            switch (keyword.ToUpperInvariant())
            {
                case "SIZE" when value is not null && value.Length <= 18 && value.All(char.IsAsciiDigit):
                    size = long.Parse(value);
                    break;
                case "SIZE":
                    return new InvalidCommand(SmtpReplies.Syntax("SIZE=<number of octets>"));
                case "BODY" when string.Equals(value, "7BIT", StringComparison.OrdinalIgnoreCase):
                    body = BodyType.SevenBit;
                    break;
                case "BODY" when string.Equals(value, "8BITMIME", StringComparison.OrdinalIgnoreCase):
                    body = BodyType.EightBitMime;
                    break;
                case "BODY":
                    return new InvalidCommand(new SmtpReply(501, "5.5.4", "Syntax: BODY=7BIT or BODY=8BITMIME"));
                default:
                    return new InvalidCommand(SmtpReplies.ParameterNotSupported(keyword));
            }
        }
        return new MailCommand(path.Mailbox, size, body);
    }

    private static SmtpCommand ParseRcpt(string argument)
    {
        if (!TryStripKeyword(argument, "TO:", out var rest))
            return new InvalidCommand(SmtpReplies.Syntax("RCPT TO:<address>"));
        // RFC 5321 §4.1.1.3: <Postmaster> without a domain must be accepted; we have no local
        // mailboxes to deliver it to, so it is refused like any other address we do not relay
        // (a policy refusal, not the syntax error the path grammar below would report).
        if (rest.StartsWith("<postmaster>", StringComparison.OrdinalIgnoreCase))
            return new InvalidCommand(SmtpReplies.RelayDenied);
        var path = AddressParser.ParsePath(rest, allowNull: false);
        if (!path.Ok)
            return new InvalidCommand(new SmtpReply(501, "5.1.3", $"Bad recipient address syntax: {path.Error}"));
        var parameters = Parameters(rest[path.Consumed..], out var bad);
        if (bad) return new InvalidCommand(SmtpReplies.Syntax("RCPT TO:<address> [parameters]"));
        foreach (var (keyword, _) in parameters)
            return new InvalidCommand(SmtpReplies.ParameterNotSupported(keyword));
        return new RcptCommand(path.Mailbox!);
    }

    private static bool TryStripKeyword(string argument, string keyword, out string rest)
    {
        rest = "";
        if (!argument.StartsWith(keyword, StringComparison.OrdinalIgnoreCase)) return false;
        rest = argument[keyword.Length..];
        if (rest.StartsWith(' ')) rest = rest[1..];
        return true;
    }

    /// <summary>esmtp-param = esmtp-keyword ["=" esmtp-value], separated by single spaces (RFC 5321 §4.1.2).</summary>
    private static List<(string Keyword, string? Value)> Parameters(string text, out bool bad)
    {
        bad = false;
        var result = new List<(string, string?)>();
        if (text.Length == 0) return result;
        if (text[0] != ' ') { bad = true; return result; }
        foreach (var token in text[1..].Split(' '))
        {
            if (token.Length == 0) { bad = true; continue; }
            var eq = token.IndexOf('=');
            var keyword = eq < 0 ? token : token[..eq];
            var value = eq < 0 ? null : token[(eq + 1)..];
            if (keyword.Length == 0 || !char.IsAsciiLetterOrDigit(keyword[0]) || keyword.Any(c => !char.IsAsciiLetterOrDigit(c) && c != '-')
                || (value is not null && (value.Length == 0 || value.Any(c => c is < '!' or > '~' or '='))))
            {
                bad = true;
                continue;
            }
            result.Add((keyword, value));
        }
        return result;
    }
}
