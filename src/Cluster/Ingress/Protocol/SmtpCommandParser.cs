using Tunnel.Messages.Mail;

namespace Tunnel.Cluster.Ingress.Protocol;

/// <summary>
/// Turns one command line (CRLF already removed by <see cref="CommandLineReader"/>) into a
/// <see cref="SmtpCommand"/>. Pure: no state, no I/O. Verbs are case-insensitive
/// (RFC 5321 §2.4); arguments are parsed strictly, except that a space after "FROM:"/"TO:", and
/// one trailing space after an argument-less verb ("DATA "), are tolerated because widespread
/// clients send them; neither changes what the command means. Whether a parsed extension may be used in
/// this session is <see cref="SmtpDialog"/>'s call, not the parser's.
/// </summary>
public static class SmtpCommandParser
{
    // RFC 3461 §4.4: ENVID at most 100 characters; §4.2: ORCPT at most 500.
    private const int MaxEnvelopeId = 100;
    private const int MaxOriginalRecipient = 500;

    public static SmtpCommand Parse(string line)
    {
        var space = line.IndexOf(' ');
        var verb = space < 0 ? line : line[..space];
        var argument = space < 0 ? "" : line[(space + 1)..];
        return verb.ToUpperInvariant() switch
        {
            "EHLO" => ParseHello(argument, extended: true),
            "HELO" => ParseHello(argument, extended: false),
            "MAIL" => MailParser.Parse(argument),
            "RCPT" => ParseRcpt(argument),
            "DATA" => NoArgument(SmtpVerb.Data, argument, "DATA"),
            "BDAT" => ParseBdat(argument),
            "RSET" => NoArgument(SmtpVerb.Rset, argument, "RSET"),
            "QUIT" => NoArgument(SmtpVerb.Quit, argument, "QUIT"),
            "STARTTLS" => NoArgument(SmtpVerb.StartTls, argument, "STARTTLS"), // RFC 3207 §4: no parameters
            // NOOP and HELP may carry a string, which is ignored (RFC 5321 §4.1.1.9, §4.1.1.8).
            "NOOP" => new SimpleCommand(SmtpVerb.Noop),
            "HELP" => new SimpleCommand(SmtpVerb.Help),
            "VRFY" => argument.Trim().Length == 0 ? new InvalidCommand(SmtpReplies.Syntax("VRFY address")) : new SimpleCommand(SmtpVerb.Vrfy),
            "EXPN" or "ETRN" or "AUTH" or "TURN" or "ATRN" => new SimpleCommand(SmtpVerb.NotImplemented),
            _ => new SimpleCommand(SmtpVerb.Unknown),
        };
    }

    private static SmtpCommand NoArgument(SmtpVerb verb, string argument, string name) =>
        argument.Length == 0 ? new SimpleCommand(verb) : new InvalidCommand(SmtpReplies.Syntax(name));

    /// <summary>
    /// The client's name: a domain or an address literal (RFC 5321 §4.1.1.1). We are lenient
    /// about its spelling (many clients send bare host names or junk) but it goes into our
    /// Received header, so it must be printable ASCII without spaces: nothing can break out.
    /// </summary>
    private static SmtpCommand ParseHello(string argument, bool extended)
    {
        var name = argument.Trim(' ');
        if (name.Length == 0 || name.Length > 255 || name.Any(c => c is <= ' ' or > '~' || c == '(' || c == ')'))
            return new InvalidCommand(SmtpReplies.Syntax(extended ? "EHLO hostname" : "HELO hostname"));
        return new HelloCommand(extended, name);
    }

    /// <summary>"BDAT" SP chunk-size [SP end-marker] (RFC 3030 §2); a size we cannot read is fatal, because the chunk's end is unknown.</summary>
    private static SmtpCommand ParseBdat(string argument)
    {
        var parts = argument.Split(' ');
        var sizeOk = parts[0].Length is > 0 and <= 18 && parts[0].All(char.IsAsciiDigit);
        if (!sizeOk) return new InvalidCommand(SmtpReplies.BdatSyntax, Fatal: true);
        var size = long.Parse(parts[0]);
        return parts.Length switch
        {
            1 => new BdatCommand(size, Last: false),
            2 when string.Equals(parts[1], "LAST", StringComparison.OrdinalIgnoreCase) => new BdatCommand(size, Last: true),
            // The size was readable, so the chunk can still be skipped: not fatal.
            _ => new InvalidCommand(SmtpReplies.Syntax("BDAT size [LAST]")),
        };
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
        if (!path.Ok) return new InvalidCommand(SmtpReplies.BadRecipient(path.Error!));
        var parameters = EsmtpParameters.Split(rest[path.Consumed..]);
        if (parameters is null) return new InvalidCommand(SmtpReplies.Syntax("RCPT TO:<address> [parameters]"));

        var notify = DsnNotify.Unspecified;
        string? original = null;
        var rawUtf8 = false;
        foreach (var (keyword, value) in parameters)
        {
            switch (keyword.ToUpperInvariant())
            {
                case "NOTIFY":
                    notify = ParseNotify(value);
                    if (notify == DsnNotify.Unspecified) return new InvalidCommand(SmtpReplies.Syntax("NOTIFY=NEVER or NOTIFY=SUCCESS,FAILURE,DELAY"));
                    break;
                case "ORCPT":
                    original = ParseOriginalRecipient(value);
                    if (original is null) return new InvalidCommand(SmtpReplies.Syntax("ORCPT=addr-type;xtext"));
                    rawUtf8 = value!.Any(c => c > 127);
                    break;
                default:
                    return new InvalidCommand(SmtpReplies.ParameterNotSupported(keyword));
            }
        }
        return new RcptCommand(path.Mailbox!, notify, original, rawUtf8);
    }

    /// <summary>RFC 3461 §4.1: "NEVER", or a comma-separated set of SUCCESS, FAILURE, DELAY.</summary>
    private static DsnNotify ParseNotify(string? value)
    {
        if (value is null) return DsnNotify.Unspecified;
        if (string.Equals(value, "NEVER", StringComparison.OrdinalIgnoreCase)) return DsnNotify.Never;
        var result = DsnNotify.Unspecified;
        foreach (var item in value.Split(','))
        {
            var flag = item.ToUpperInvariant() switch
            {
                "SUCCESS" => DsnNotify.Success,
                "FAILURE" => DsnNotify.Failure,
                "DELAY" => DsnNotify.Delay,
                _ => DsnNotify.Unspecified, // NEVER among others, or an unknown word
            };
            if (flag == DsnNotify.Unspecified || result.HasFlag(flag)) return DsnNotify.Unspecified;
            result |= flag;
        }
        return result;
    }

    /// <summary>RFC 3461 §4.2: addr-type ";" xtext; "utf-8" addresses use RFC 6533's escapes. Kept as "type;decoded".</summary>
    private static string? ParseOriginalRecipient(string? value)
    {
        if (value is null || value.Length > MaxOriginalRecipient) return null;
        var semicolon = value.IndexOf(';');
        if (semicolon <= 0 || semicolon == value.Length - 1) return null;
        var type = value[..semicolon];
        if (!type.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')) return null;
        var utf8 = string.Equals(type, "utf-8", StringComparison.OrdinalIgnoreCase);
        if (!utf8 && value.Any(c => c > 127)) return null;
        var address = EsmtpParameters.DecodeXtext(value[(semicolon + 1)..], unicode: utf8);
        if (address is null || address.Length == 0 || address.Any(char.IsControl)) return null;
        return $"{type.ToLowerInvariant()};{address}";
    }

    internal static bool TryStripKeyword(string argument, string keyword, out string rest)
    {
        rest = "";
        if (!argument.StartsWith(keyword, StringComparison.OrdinalIgnoreCase)) return false;
        rest = argument[keyword.Length..];
        if (rest.StartsWith(' ')) rest = rest[1..];
        return true;
    }

    /// <summary>MAIL FROM and its parameters (RFC 5321 §4.1.1.2; SIZE RFC 1870, BODY RFC 6152, SMTPUTF8 RFC 6531, RET and ENVID RFC 3461).</summary>
    private static class MailParser
    {
        public static SmtpCommand Parse(string argument)
        {
            if (!TryStripKeyword(argument, "FROM:", out var rest))
                return new InvalidCommand(SmtpReplies.Syntax("MAIL FROM:<address>"));
            var path = AddressParser.ParsePath(rest, allowNull: true);
            if (!path.Ok) return new InvalidCommand(SmtpReplies.BadSender(path.Error!));
            var parameters = EsmtpParameters.Split(rest[path.Consumed..]);
            if (parameters is null) return new InvalidCommand(SmtpReplies.Syntax("MAIL FROM:<address> [parameters]"));

            var mail = new MailCommand(path.Mailbox);
            foreach (var (keyword, value) in parameters)
            {
                switch (keyword.ToUpperInvariant())
                {
                    case "SIZE" when value is not null && value.Length <= 18 && value.All(char.IsAsciiDigit):
                        mail = mail with { DeclaredSize = long.Parse(value) };
                        break;
                    case "SIZE":
                        return new InvalidCommand(SmtpReplies.Syntax("SIZE=<number of octets>"));
                    case "BODY" when string.Equals(value, "7BIT", StringComparison.OrdinalIgnoreCase):
                        mail = mail with { Body = BodyType.SevenBit };
                        break;
                    case "BODY" when string.Equals(value, "8BITMIME", StringComparison.OrdinalIgnoreCase):
                        mail = mail with { Body = BodyType.EightBitMime };
                        break;
                    case "BODY":
                        return new InvalidCommand(SmtpReplies.Syntax("BODY=7BIT or BODY=8BITMIME"));
                    case "SMTPUTF8" when value is null: // RFC 6531 §3.4: no value
                        mail = mail with { SmtpUtf8 = true };
                        break;
                    case "SMTPUTF8":
                        return new InvalidCommand(SmtpReplies.Syntax("SMTPUTF8 takes no value"));
                    case "RET" when string.Equals(value, "FULL", StringComparison.OrdinalIgnoreCase):
                        mail = mail with { Return = DsnReturn.Full };
                        break;
                    case "RET" when string.Equals(value, "HDRS", StringComparison.OrdinalIgnoreCase):
                        mail = mail with { Return = DsnReturn.Headers };
                        break;
                    case "RET":
                        return new InvalidCommand(SmtpReplies.Syntax("RET=FULL or RET=HDRS"));
                    case "ENVID":
                        // RFC 3461 §4.4: xtext of printable ASCII, at most 100 characters.
                        var id = value is not null && value.Length <= MaxEnvelopeId ? EsmtpParameters.DecodeXtext(value) : null;
                        if (id is null || id.Length == 0 || id.Any(c => c is < ' ' or > '~'))
                            return new InvalidCommand(SmtpReplies.Syntax("ENVID=<xtext of at most 100 characters>"));
                        mail = mail with { EnvelopeId = id };
                        break;
                    default:
                        return new InvalidCommand(SmtpReplies.ParameterNotSupported(keyword));
                }
            }
            return mail;
        }
    }
}
