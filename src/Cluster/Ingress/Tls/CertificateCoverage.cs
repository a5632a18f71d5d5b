namespace Tunnel.Cluster.Ingress.Tls;

/// <summary>
/// Whether a sender that verifies TLS (MTA-STS, DANE, Postfix's <c>verify</c>) would accept the
/// certificate this node serves when it connects to a tunneled MX host: the host's name must be
/// among the certificate's names (RFC 6125), and the certificate must not be about to expire.
/// Pure: the certificates and the time come in; <c>tunnel dns check</c> and <c>tunnel dns plan</c> print it.
/// </summary>
public static class CertificateCoverage
{
    /// <summary>A certificate expiring this soon is warned about (certbot renews at 30 days left; 14 means renewal has been failing for two weeks).</summary>
    public static readonly TimeSpan ExpiryWarning = TimeSpan.FromDays(14);

    /// <summary>The warning when STARTTLS is not offered at all (no tunnel.tls.certificate).</summary>
    public const string NotOffered =
        "STARTTLS is not offered (tunnel.tls.certificate is not set): senders that require TLS (MTA-STS, DANE) cannot deliver through the tunnel";

    /// <summary>What a sender expecting <paramref name="host"/> gets from <paramref name="certificates"/> at <paramref name="now"/>.</summary>
    public static HostCertificate For(string host, ServerCertificates? certificates, DateTime now)
    {
        if (certificates is null) return new HostCertificate(host, null, null, false, NotOffered);
        var (certificate, covers, isDefault) = certificates.For(host);
        var label = isDefault ? $"{certificate.Name} (default)" : certificate.Name;
        string? warning = null;
        if (!covers)
            warning = $"no certificate in tunnel.tls.certificates names {host}: senders that verify get the default certificate "
                      + $"({certificate.Name}) and refuse it; add its certificate";
        else if (certificate.NotAfterUtc <= now)
            warning = $"its certificate {certificate.Name} ({certificate.Files.Certificate}) expired on {certificate.NotAfterUtc:yyyy-MM-dd HH:mm} UTC";
        else if (certificate.NotAfterUtc - now < ExpiryWarning)
            warning = $"its certificate {certificate.Name} ({certificate.Files.Certificate}) expires on {certificate.NotAfterUtc:yyyy-MM-dd HH:mm} UTC, "
                      + $"in {(certificate.NotAfterUtc - now).TotalDays:0.#} days: is its renewal failing?";
        return new HostCertificate(host, label, certificate.NotAfterUtc, covers, warning);
    }
}

/// <param name="Certificate">The certificate served for the host's name (its first name; "(default)" when no SNI match); null without STARTTLS.</param>
/// <param name="Covers">The certificate names the host.</param>
/// <param name="Warning">Why a verifying sender would not deliver, or soon would not; null when all is well.</param>
public sealed record HostCertificate(string Host, string? Certificate, DateTime? NotAfter, bool Covers, string? Warning)
{
    public override string ToString() => Warning is not null
        ? $"warning: {Host}: {Warning}"
        : $"{Host}: certificate {Certificate} (expires {NotAfter:yyyy-MM-dd})";
}
