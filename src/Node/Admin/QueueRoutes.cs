using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Tunnel.Cluster.Ingress.Protocol;
using Tunnel.Messages.Admin;
using Tunnel.Messages.Mail;

namespace Tunnel.Node.Admin;

/// <summary>
/// The queue, cluster-wide, shaped after Postfix's tools: list (mailq), show (postcat -q's
/// envelope part, with every attempt), stats (qshape's totals), retry (postqueue -f / -i),
/// delete (postsuper -d, optionally returning the message to its sender).
/// </summary>
public static class QueueRoutes
{
    public static void Map(IEndpointRouteBuilder routes, AdminServices services)
    {
        var queues = services.Queues;

        routes.MapGet("/v1/queue", async (string? domain, string? state, int? limit) =>
        {
            state = QueueViews.NormaliseState(state);
            if (state is not null && !QueueViews.States.Contains(state))
                return Error(400, $"state '{state}' is not one of {string.Join(", ", QueueViews.States)}");
            if (limit is < 1) return Error(400, "limit must be at least 1");
            if (domain is not null && Domain(domain) is null) return Error(400, $"'{domain}' is not a domain name");
            var (running, unanswered) = await queues.RunningAsync(Domain(domain));
            var (answers, silent) = await queues.InspectAsync(running);
            var now = DateTimeOffset.UtcNow;
            var matching = answers
                .SelectMany(a => a.Answer.Messages.Where(m => QueueViews.Matches(m, state)).Select(m => QueueViews.Entry(m, a.Queue, now)))
                .OrderBy(e => e.ReceivedAt).ThenBy(e => e.Id, StringComparer.Ordinal).ThenBy(e => e.Domain, StringComparer.Ordinal)
                .ToList();
            return Results.Json(new QueueListing(matching.Take(limit ?? int.MaxValue).ToList(), matching.Count, [.. unanswered, .. silent]),
                AdminJson.Default.QueueListing);
        });

        // One line per domain; ?subqueues=true: one per queue, a split domain's sub-queues apart.
        routes.MapGet("/v1/queue/stats", async (bool? subQueues) =>
        {
            var (running, unanswered) = await queues.RunningAsync();
            var (answers, silent) = await queues.InspectAsync(running);
            var stats = QueueViews.Stats(answers, subQueues ?? false, DateTimeOffset.UtcNow);
            return Results.Json(new QueueStats(stats, [.. unanswered, .. silent]), AdminJson.Default.QueueStats);
        });

        routes.MapGet("/v1/queue/{id}", async (string id) =>
        {
            if (!IsMessageId(id)) return Error(400, $"'{id}' is not a queue id");
            var (running, unanswered) = await queues.RunningAsync();
            var (answers, silent) = await queues.InspectAsync(running, new MessageId(id));
            var parts = answers.SelectMany(a => a.Answer.Messages.Select(m => (a.Queue, Message: m))).ToList();
            if (parts.Count > 0) return Results.Json(QueueViews.Message(parts), AdminJson.Default.MessageView);
            // "Not found" only when everyone answered: a silent member may hold it.
            string[] missing = [.. unanswered, .. silent];
            return missing.Length == 0
                ? Error(404, $"message {id} is not in any queue")
                : Error(503, $"message {id} is not in the queues that answered; no answer from {string.Join(", ", missing)}");
        });

        routes.MapPost("/v1/queue/retry", async (RetryRequest request) =>
        {
            if ((request.Id is not null ? 1 : 0) + (request.Domain is not null ? 1 : 0) + (request.All ? 1 : 0) != 1)
                return Error(400, "name exactly one of: a queue id, a domain, or all");
            if (request.Id is not null && !IsMessageId(request.Id)) return Error(400, $"'{request.Id}' is not a queue id");
            if (request.Domain is not null && Domain(request.Domain) is null) return Error(400, $"'{request.Domain}' is not a domain name");
            var (running, unanswered) = await queues.RunningAsync(Domain(request.Domain));
            MessageId? id = request.Id is null ? null : new MessageId(request.Id);
            var (answers, silent) = await queues.AskEachAsync<RetryScheduled>(running, queue => new RetryNow(queue, id));
            var touched = answers.Where(a => a.Answer.Messages > 0).ToList();
            if (request.Id is not null && touched.Count == 0) return Error(404, $"message {request.Id} is not in any queue");
            return Results.Json(new RetryResult(touched.Sum(a => a.Answer.Messages), touched.Select(a => a.Queue.Domain).Distinct().ToList(),
                [.. unanswered, .. silent]), AdminJson.Default.RetryResult);
        });

        routes.MapPost("/v1/queue/delete", async (DeleteRequest request) =>
        {
            if (!IsMessageId(request.Id)) return Error(400, $"'{request.Id}' is not a queue id");
            var (running, unanswered) = await queues.RunningAsync();
            var id = new MessageId(request.Id);
            var (holding, silent) = await queues.InspectAsync(running, id);
            var (answers, lost) = await queues.AskEachAsync<DeleteAccepted>(holding.Where(a => a.Answer.Messages.Count > 0).Select(a => a.Queue),
                queue => new DeleteMessage(queue, id, request.Bounce));
            var deleted = answers.Where(a => a.Answer.Found).Select(a => a.Queue.Domain).Distinct().ToList();
            if (deleted.Count == 0)
            {
                string[] missing = [.. unanswered, .. silent, .. lost];
                return missing.Length == 0
                    ? Error(404, $"message {request.Id} is not in any queue")
                    : Error(503, $"message {request.Id} was not deleted: not in the queues that answered; no answer from {string.Join(", ", missing)}");
            }
            return Results.Json(new DeleteResult(request.Id, deleted, request.Bounce, [.. unanswered, .. silent, .. lost]),
                AdminJson.Default.DeleteResult);
        });
    }

    private static string? Domain(string? text) => text is null ? null : AddressParser.NormaliseDomain(text.Trim()) is { } d && !d.StartsWith('[') ? d : null;

    private static bool IsMessageId(string text) => text.Length == 20 && text.All(char.IsAsciiLetterOrDigit);

    private static IResult Error(int status, string error) => Results.Json(new ApiError(error), AdminJson.Default.ApiError, statusCode: status);
}
