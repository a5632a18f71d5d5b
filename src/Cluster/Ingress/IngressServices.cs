using Tunnel.Cluster.Ingress.Tls;
using Tunnel.Cluster.Observability;

namespace Tunnel.Cluster.Ingress;

/// <summary>What every SmtpSession of a node uses; one instance per node.</summary>
/// <param name="Verifier">DNS verification of tunnel domains; null when <c>tunnel.relay.verify-mx</c> is off.</param>
/// <param name="RecipientVerifier">Recipient verification with the real MX; null when <c>tunnel.relay.verify-recipients</c> is off.</param>
public sealed record IngressServices(IngressSettings Settings, RelayPolicy Relay, MessageIntake Intake, MailLog MailLog,
    TunnelDomainVerifier? Verifier = null, RecipientVerifier? RecipientVerifier = null)
{
    public IngressLoad Load { get; } = new(Settings.MaxPendingMessages, Settings.MaxPendingMessagesPerClient);

    public ContentBudget Content { get; } = new(Settings.MaxContentInFlight);

    /// <summary>The certificates STARTTLS serves now (reloaded by <see cref="CertificateWatcher"/>); null: STARTTLS is not offered.</summary>
    public CertificateStore? Certificates { get; } = Settings.Certificates is { } initial ? new CertificateStore(initial) : null;
}
