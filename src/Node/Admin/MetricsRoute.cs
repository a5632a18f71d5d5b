using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tunnel.Cluster.Queue;

namespace Tunnel.Node.Admin;

/// <summary>
/// /metrics in Prometheus text format (prometheus-net), from the node's own registry. The
/// cluster gauges are read just before each scrape: members by status as this node sees them,
/// and the shards its region hosts.
/// </summary>
public static class MetricsRoute
{
    private static readonly string[] Statuses = ["joining", "weaklyup", "up", "leaving", "exiting", "down", "removed", "unreachable"];

    public static void Map(IEndpointRouteBuilder routes, AdminServices services)
    {
        routes.MapGet("/metrics", async (HttpContext context) =>
        {
            await UpdateClusterGaugesAsync(services);
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await services.Metrics.Registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
        });
    }

    private static async Task UpdateClusterGaugesAsync(AdminServices services)
    {
        var state = Akka.Cluster.Cluster.Get(services.System).State;
        var counts = Statuses.ToDictionary(s => s, _ => 0);
        foreach (var member in state.Members) counts[member.Status.ToString().ToLowerInvariant()]++;
        counts["unreachable"] = state.Unreachable.Count;
        foreach (var (status, count) in counts) services.Metrics.ClusterMembers.WithLabels(status).Set(count);

        try
        {
            var region = ClusterSharding.Get(services.System).ShardRegion(DomainQueueExtractor.TypeName);
            var shards = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(2));
            services.Metrics.Shards.Set(shards.Shards.Count);
        }
        catch (Exception e) when (e is AskTimeoutException or ArgumentException or InvalidOperationException)
        {
            // Not started yet, or busy: the gauge keeps its last value.
        }
    }
}
