using Tunnel.Cluster.Bounces;
using Tunnel.Cluster.Observability;
using Tunnel.Cluster.Outbound;
using Tunnel.Cluster.Spool;

namespace Tunnel.Cluster.Queue;

/// <summary>What a DomainQueue and its QueuedMessage children use; one instance per node.</summary>
public sealed record QueueServices(QueueSettings Settings, SpoolStore Spool, Courier Courier, Bouncer Bouncer, MailLog MailLog);
