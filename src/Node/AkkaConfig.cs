using Akka.Cluster.Sharding;
using Akka.Configuration;
using Akka.Persistence.Sql;
using Tunnel.Node.Configuration;

namespace Tunnel.Node;

/// <summary>
/// The Akka settings Tunnel derives from its own: remoting address and seeds, the one
/// serializer, the SQL persistence plugins on our database, and the sharding mode that makes
/// "a domain with mail is always running somewhere" true (remember-entities, stored in the
/// journal so it survives a full restart). These are not tunables, so they are not in
/// cluster.hocon; they take precedence over it.
/// </summary>
public static class AkkaConfig
{
    public const string SystemName = "tunnel";

    /// <summary>An IPv6 literal goes in brackets in an actor address; a name or IPv4 address as it is.</summary>
    private static string HostPart(string host) =>
        System.Net.IPAddress.TryParse(host, out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"[{host}]" : host;

    public static Config For(TunnelSettings settings, NodeStorage storage, Config userConfig)
    {
        var connection = ConfigLoader.Quote(storage.ConnectionString);
        var provider = ConfigLoader.Quote(storage.ProviderName);
        var seeds = string.Join(", ", settings.Cluster.Seeds.Select(s => ConfigLoader.Quote($"akka.tcp://{SystemName}@{HostPart(s.Host)}:{s.Port}")));
        var generated = $$"""
            akka {
              # Akka's log events go through Microsoft.Extensions.Logging (Logging/AkkaLogBridge).
              loggers = ["Tunnel.Node.Logging.AkkaLogBridge, tunnel"]
              actor {
                provider = cluster
                serializers.tunnel = "Tunnel.Messages.Serialization.TunnelSerializer, Tunnel.Messages"
                serialization-bindings { "Tunnel.Messages.ITunnelMessage, Tunnel.Messages" = tunnel }
              }
              remote.dot-netty.tcp {
                hostname = {{ConfigLoader.Quote(settings.Cluster.Hostname)}}
                port = {{settings.Cluster.Port}}
              }
              cluster.seed-nodes = [{{seeds}}]
              persistence {
                journal {
                  plugin = "akka.persistence.journal.sql"
                  sql {
                    connection-string = {{connection}}
                    provider-name = {{provider}}
                    auto-initialize = true
                    parallelism = {{storage.Writers}}
                  }
                }
                snapshot-store {
                  plugin = "akka.persistence.snapshot-store.sql"
                  sql {
                    connection-string = {{connection}}
                    provider-name = {{provider}}
                    auto-initialize = true
                  }
                }
              }
              # The drain of SMTP sessions runs in service-unbind; give it its time and a little more.
              coordinated-shutdown.phases.service-unbind.timeout = {{(int)settings.Ingress.Drain.TotalSeconds + 5}}s
              cluster.sharding {
                remember-entities = on
                remember-entities-store = eventsourced
                state-store-mode = persistence
                journal-plugin-id = "akka.persistence.journal.sql"
                snapshot-plugin-id = "akka.persistence.snapshot-store.sql"
              }
            }
            """;
        return ConfigurationFactory.ParseString(generated)
            .WithFallback(userConfig)
            .WithFallback(ClusterSharding.DefaultConfig())
            .WithFallback(SqlPersistence.DefaultConfiguration);
    }


}
