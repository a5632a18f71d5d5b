namespace Tunnel.Cluster.Ingress.Protocol;

/// <summary>The protocol word of a Received header's "with" clause.</summary>
public static class ReceivedProtocol
{
    /// <summary>SMTP / ESMTP / ESMTPS (RFC 3848 §2), UTF8SMTP / UTF8SMTPS (RFC 6531 §3.7.3). We offer no AUTH, so no "A" forms.</summary>
    public static string Of(bool extended, bool tls, bool smtpUtf8) =>
        (extended, tls, smtpUtf8) switch
        {
            (_, true, true) => "UTF8SMTPS",
            (_, false, true) => "UTF8SMTP",
            (true, true, false) => "ESMTPS",
            (true, false, false) => "ESMTP",
            // HELO after STARTTLS: RFC 3848 has no word for plain SMTP over TLS.
            (false, _, false) => "SMTP",
        };
}
