using Akka.Actor;
using Akka.Cluster;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Tunnel.Node.Admin;

/// <summary>
/// /health/live and /health/ready, for load balancers and orchestrators (Kubernetes probes,
/// HAProxy checks). Live: the process serves and its actor system runs; restart it otherwise.
/// Ready: it has joined the cluster (its member is Up), it has finished starting (queues and
/// SMTP), it is not shutting down, and the database answers: only then should traffic come. 200 or 503, never a token:
/// they say nothing an outsider could use.
/// </summary>
public static class HealthRoutes
{
    private static readonly TimeSpan StorageTimeout = TimeSpan.FromSeconds(3);

    public static void Map(IEndpointRouteBuilder routes, AdminServices services)
    {
        routes.MapGet("/health/live", () => services.System.WhenTerminated.IsCompleted
            ? Results.Json(new HealthView("terminated", ["the actor system has stopped"]), AdminJson.Default.HealthView, statusCode: 503)
            : Results.Json(new HealthView("live", []), AdminJson.Default.HealthView));

        routes.MapGet("/health/ready", async (CancellationToken cancel) =>
        {
            var problems = new List<string>();
            var self = Akka.Cluster.Cluster.Get(services.System).SelfMember;
            // Before it joins, a node's own member reads "Removed" in Akka: say what that means.
            if (self.Status == MemberStatus.Removed && !services.Started()) problems.Add("not a cluster member yet (joining its seed nodes)");
            else if (self.Status != MemberStatus.Up) problems.Add($"cluster member is {self.Status}, not Up");
            if (!services.Started()) problems.Add("the node is still starting");
            // Draining (SIGTERM, tunnel cluster leave): SMTP says 421 already, so traffic should go elsewhere.
            if (CoordinatedShutdown.Get(services.System).ShutdownReason is not null) problems.Add("the node is shutting down");
            try
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                deadline.CancelAfter(StorageTimeout);
                await services.Spool.PingAsync(deadline.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
            {
                problems.Add($"storage does not answer: {e.GetBaseException().Message}");
            }
            return problems.Count == 0
                ? Results.Json(new HealthView("ready", []), AdminJson.Default.HealthView)
                : Results.Json(new HealthView("not ready", problems), AdminJson.Default.HealthView, statusCode: 503);
        });
    }
}
