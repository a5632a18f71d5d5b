using System.Reflection;
using MailKit.Net.Smtp;

namespace Tunnel.Cluster.Outbound;

/// <summary>
/// MailKit's SMTP client for what it does well (greeting, EHLO, STARTTLS, capabilities, reply
/// parsing), opened up so that <see cref="SmtpSender"/> can run the transaction itself. A relay
/// must send the stored bytes unchanged (re-encoding breaks DKIM), but MailKit only sends a
/// <c>MimeMessage</c>, which it re-serializes (and from which it hides Bcc and Content-Length).
/// So the envelope goes through MailKit's protected <c>SendCommandAsync</c>, and the DATA
/// content is written into MailKit's own connection stream (after TLS, if any), exactly as
/// MailKit's own DATA code does, before "." is sent as the final command.
/// </summary>
internal sealed class RelaySmtpClient : SmtpClient
{
    // SmtpClient.Stream is protected but typed with MailKit's internal SmtpStream, which C#
    // cannot name from here; it is a System.IO.Stream, which is all we need. MailKit's version
    // is pinned in Directory.Packages.props and a test guards this lookup.
    private static readonly PropertyInfo StreamProperty =
        typeof(SmtpClient).GetProperty("Stream", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new InvalidOperationException("MailKit.SmtpClient.Stream not found: MailKit changed, see RelaySmtpClient");

    public async Task<SmtpResponse> CommandAsync(string command, CancellationToken cancel)
    {
        var reply = await SendCommandAsync(command, cancel);
        if ((int)reply.StatusCode == 421) Closing = true;
        return reply;
    }

    /// <summary>The server said 421 (RFC 5321 §3.8): it is closing this connection, which must not be reused.</summary>
    public bool Closing { get; private set; }

    /// <summary>Transactions this connection has carried (for the connection cache's reuse limit).</summary>
    public int Transactions { get; set; }

    /// <summary>This connection's place in the node's connection limits, given back when it is disposed.</summary>
    /// <remarks>Settable so that a connection given up for another try on the same host (plaintext after a failed opportunistic handshake) leaves the slot to it.</remarks>
    public ConnectionSlots.Permit? Slot { get; set; }

    /// <summary>The MX host name this connection was opened for: its certificate was checked against this name.</summary>
    public required string Host { get; init; }

    /// <summary>How TLS went on this connection: whether a delivery that needs TLS or a verified certificate may use it.</summary>
    public Policy.TlsOutcome Tls { get; set; } = Policy.TlsOutcome.Plaintext;

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) Slot?.Dispose();
    }

    /// <summary>The connection as MailKit writes it: bytes written here go out verbatim, in order with commands.</summary>
    public Stream Connection =>
        StreamProperty.GetValue(this) as Stream ?? throw new InvalidOperationException("not connected");
}
