using System.Text;

namespace Tunnel.Cluster.Ingress.Protocol;

/// <summary>
/// One SMTP reply: code, enhanced status code (RFC 3463; null only where RFC 2034 §3 leaves it
/// out: the greeting and EHLO/HELO) and text, which may span several lines.
/// </summary>
public sealed record SmtpReply(int Code, string? Enhanced, string Text)
{
    public bool IsPositive => Code is >= 200 and < 400;

    /// <summary>Renders the reply with CRLF line ends, "250-" on all lines but the last.</summary>
    public void WriteTo(StringBuilder output)
    {
        var lines = Text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            output.Append(Code).Append(i == lines.Length - 1 ? ' ' : '-');
            if (Enhanced is not null) output.Append(Enhanced).Append(' ');
            output.Append(lines[i]).Append("\r\n");
        }
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        WriteTo(text);
        return text.ToString().TrimEnd();
    }
}
