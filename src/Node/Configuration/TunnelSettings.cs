using System.Net;
using Tunnel.Cluster.Ingress;
using Tunnel.Cluster.Outbound;
using Tunnel.Cluster.Queue;
using Tunnel.Cluster.Routing;

namespace Tunnel.Node.Configuration;

/// <summary>Where journal, snapshots and spool live, from <c>tunnel.storage</c>.</summary>
/// <param name="Provider">"sqlite" (one node) or "postgresql" (a cluster).</param>
public sealed record StorageSettings(string Provider, string SqlitePath, string PostgresConnectionString)
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgresql";

    /// <summary>The journal and snapshots.</summary>
    public string SqliteFile => Path.GetFullPath(Path.Combine(SqlitePath, "tunnel.db"));

    /// <summary>
    /// The spool, beside the journal: SQLite has one writer per file, and the journal's writer
    /// and the spool's would otherwise wait for each other on every message.
    /// </summary>
    public string SqliteSpoolFile => Path.GetFullPath(Path.Combine(SqlitePath, "spool.db"));
}

/// <summary>This node's cluster (remoting) address and whom to join, from <c>tunnel.cluster</c>.</summary>
public sealed record ClusterSettings(string Hostname, int Port, IReadOnlyList<DnsEndPoint> Seeds);

/// <summary>The admin endpoint (<c>tunnel.admin</c>): where it listens, and the bearer token it asks for.</summary>
/// <param name="Listen">Null when the endpoint is off (<c>listen = off</c>).</param>
/// <param name="Token">Empty: no token (allowed on loopback only).</param>
/// <param name="MetricsDestinations">How many destination domains /metrics reports one by one (<c>metrics-destinations</c>).</param>
public sealed record AdminSettings(IPEndPoint? Listen, string Token, int MetricsDestinations = 20)
{
    /// <summary>Whether requests must carry the token: always when one is set, and it is set whenever the endpoint is not on loopback.</summary>
    public bool RequiresToken => Token.Length > 0;
}

/// <summary>How the node writes its log (<c>tunnel.log</c>).</summary>
/// <param name="Json">One JSON object per line instead of text.</param>
public sealed record LogSettings(bool Json);

/// <summary>The whole <c>tunnel { }</c> block, parsed once and validated (<see cref="SettingsReader"/>).</summary>
public sealed record TunnelSettings(
    IngressSettings Ingress,
    RoutingSettings Routing,
    OutboundSettings Outbound,
    QueueSettings Queue,
    StorageSettings Storage,
    ClusterSettings Cluster,
    AdminSettings Admin,
    LogSettings Log);
