namespace Tunnel.Cluster.Ingress.Protocol;

/// <summary>
/// The verdict on a complete message before it is stored: the first rule it breaks gives the
/// refusal, or null when it may be queued. Pure.
/// </summary>
public static class MessageChecks
{
    public static SmtpReply? Refusal(IMessageContent content, ReadOnlySpan<byte> message, long maxSize, int maxReceived)
    {
        if (content.TooBig) return SmtpReplies.MessageTooBig(maxSize);                 // RFC 1870 §6
        if (content.Nul) return SmtpReplies.NulInData;                                 // RFC 6152 §3
        if (content.BareNewline) return SmtpReplies.BareLineFeedInData;                // RFC 5321 §2.3.8
        if (content.LineTooLong) return SmtpReplies.DataLineTooLong;                   // RFC 5322 §2.1.1
        if (CountReceived(message) > maxReceived) return SmtpReplies.MailLoop;          // RFC 5321 §6.3
        return null;
    }

    /// <summary>
    /// Received: fields in the header section (up to the first empty line), counted the way a
    /// loop detector must (RFC 5321 §6.3): by name, case-insensitive, with the obsolete
    /// "Received :" spelling (RFC 5322 §4.5.3) too; folded continuation lines are not fields.
    /// </summary>
    public static int CountReceived(ReadOnlySpan<byte> message)
    {
        var count = 0;
        var position = 0;
        while (position < message.Length)
        {
            var rest = message[position..];
            var end = rest.IndexOf("\r\n"u8);
            var line = end < 0 ? rest : rest[..end];
            if (line.IsEmpty) break; // the empty line ends the header section
            if (IsReceived(line)) count++;
            if (end < 0) break;
            position += end + 2;
        }
        return count;
    }

    private static bool IsReceived(ReadOnlySpan<byte> line)
    {
        const string name = "received";
        if (line.Length <= name.Length) return false;
        for (var i = 0; i < name.Length; i++)
            if ((line[i] | 0x20) != name[i]) return false;
        var rest = line[name.Length..];
        while (!rest.IsEmpty && (rest[0] == ' ' || rest[0] == '\t')) rest = rest[1..];
        return !rest.IsEmpty && rest[0] == ':';
    }
}
