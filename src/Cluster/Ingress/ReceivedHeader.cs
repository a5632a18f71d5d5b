using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Tunnel.Messages.Mail;

namespace Tunnel.Cluster.Ingress;

/// <summary>
/// Our trace header (RFC 5321 §4.4): who handed us the message (the name it claimed and the
/// address it really came from), who we are, the protocol (<see cref="Protocol.ReceivedProtocol"/>),
/// the queue id and when. "for" names
/// the recipient only when there is exactly one, so a multi-recipient message does not disclose
/// its Bcc list.
/// </summary>
public static class ReceivedHeader
{
    public static byte[] Build(string? clientName, IPAddress client, string hostname, string protocol,
        MessageId id, IReadOnlyList<Mailbox> recipients, DateTimeOffset at)
    {
        var text = new StringBuilder("Received: from ")
            .Append(clientName ?? "unknown").Append(" (").Append(AddressLiteral(client)).Append(")\r\n")
            .Append("\tby ").Append(hostname).Append(" (Tunnel) with ").Append(protocol)
            .Append(" id ").Append(id.Value);
        if (recipients.Count == 1) text.Append("\r\n\tfor <").Append(recipients[0]).Append('>');
        text.Append("; ").Append(Rfc5322Date(at)).Append("\r\n");
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>"[192.0.2.1]" or "[IPv6:2001:db8::1]" (RFC 5321 §4.1.3).</summary>
    public static string AddressLiteral(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        // The IPv6-addr grammar has no zone ("%eth0"): a link-local client is shown without it.
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0)
            address = new IPAddress(address.GetAddressBytes());
        return address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[IPv6:{address}]" : $"[{address}]";
    }

    /// <summary>RFC 5322 §3.3 date-time, e.g. "Sun, 29 Nov 2026 20:27:57 +0000".</summary>
    public static string Rfc5322Date(DateTimeOffset at)
    {
        var offset = at.Offset;
        var sign = offset < TimeSpan.Zero ? '-' : '+';
        offset = offset.Duration();
        return at.ToString("ddd, dd MMM yyyy HH:mm:ss ", CultureInfo.InvariantCulture)
               + $"{sign}{offset.Hours:00}{offset.Minutes:00}";
    }
}
