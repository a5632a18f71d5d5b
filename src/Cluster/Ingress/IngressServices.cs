using Tunnel.Cluster.Observability;

namespace Tunnel.Cluster.Ingress;

/// <summary>What every SmtpSession of a node uses; one instance per node.</summary>
public sealed record IngressServices(IngressSettings Settings, RelayPolicy Relay, MessageIntake Intake, MailLog MailLog);
