using System.Net;
using System.Text;

namespace Tunnel.Tests.Testing;

/// <summary>One message accepted by a <see cref="SinkMx"/>.</summary>
/// <param name="Sender">The reverse-path of MAIL FROM, or null for the null sender "&lt;&gt;".</param>
/// <param name="Recipients">Only the recipients the sink accepted, in RCPT order.</param>
/// <param name="Data">The message exactly as sent after dot-unstuffing, ending with the CRLF before the final ".".</param>
/// <param name="MailFromLine">The raw MAIL command, so tests can check its parameters (SIZE, BODY, SMTPUTF8...).</param>
/// <param name="Client">The remote end of the connection the message came over.</param>
public sealed record ReceivedMail(
    string? Sender,
    IReadOnlyList<string> Recipients,
    byte[] Data,
    string MailFromLine,
    IPEndPoint Client)
{
    /// <summary>When the sink had the whole message (just before it said 250): the bench times deliveries with it.</summary>
    public DateTimeOffset ReceivedAt { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>The TLS protocol of the connection it came over (after STARTTLS); null in plaintext.</summary>
    public string? TlsProtocol { get; init; }

    public string Text => Encoding.UTF8.GetString(Data);
}
