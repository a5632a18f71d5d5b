using System.CommandLine;
using Tunnel.Node.Admin;

namespace Tunnel.Node.Cli;

/// <summary>
/// <c>tunnel queue list | show | stats | retry | delete</c>: the cluster's queues from any node,
/// shaped after mailq / postqueue -p, postcat -q, qshape, postqueue -f / -i and postsuper -d.
/// </summary>
public static class QueueCommands
{
    public static Command Build(CliConsole console)
    {
        var options = new NodeOptions();
        var queue = new Command("queue", "The mail queues of every node: list, show, stats, retry, delete");
        options.AddTo(queue);
        queue.Subcommands.Add(List(options, console));
        queue.Subcommands.Add(Show(options, console));
        queue.Subcommands.Add(Stats(options, console));
        queue.Subcommands.Add(Retry(options, console));
        queue.Subcommands.Add(Delete(options, console));
        return queue;
    }

    private static Command List(NodeOptions options, CliConsole console)
    {
        var domain = new Option<string?>("--domain") { Description = "Only this destination domain's queue" };
        var state = new Option<string?>("--state") { Description = "Only messages with a recipient in this state: pending, deferred or failed (bounced)" };
        state.AcceptOnlyFromAmong("pending", "deferred", "failed", "bounced");
        var limit = new Option<int?>("--limit") { Description = "At most this many messages (the oldest)" };
        limit.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 1) r.AddError("--limit must be at least 1");
        });
        var subQueues = new Option<bool>("--sub-queues") { Description = "Name the sub-queue of a split domain that holds each message (domain#i)" };
        var list = new Command("list", "Queued messages, oldest first, like mailq: id, age, size, sender, recipients, next attempt, last error")
            { domain, state, limit, subQueues };
        list.SetAction(async (result, cancel) =>
        {
            using var client = options.Client(result, console);
            if (client is null) return ExitCodes.Usage;
            var query = string.Join("&", new[]
            {
                result.GetValue(domain) is { } d ? $"domain={Uri.EscapeDataString(d)}" : null,
                result.GetValue(state) is { } s ? $"state={Uri.EscapeDataString(s)}" : null,
                result.GetValue(limit) is { } l ? $"limit={l}" : null,
            }.OfType<string>());
            var (code, listing) = await client.GetAsync("v1/queue" + (query.Length > 0 ? "?" + query : ""), AdminJson.Default.QueueListing, cancel);
            if (code != ExitCodes.Ok) return code;
            if (result.GetValue(options.Json)) return ClusterCommands.Json(console, listing!, AdminJson.Default.QueueListing);

            var now = DateTimeOffset.UtcNow;
            var queues = result.GetValue(subQueues);
            var table = new Table("ID", queues ? "QUEUE" : "DOMAIN", "AGE", "SIZE", "SENDER", "RECIPIENTS", "NEXT", "LAST ERROR");
            foreach (var m in listing!.Messages)
                table.Add(m.Id, queues ? m.Queue : m.Domain, Format.Age(m.AgeSeconds), Format.Size(m.Size), m.Sender.Length == 0 ? "<>" : m.Sender,
                    string.Join(", ", m.Recipients.Select(r => $"{r.Address} ({r.Status})")), Format.When(m.NextAttemptAt, now), Format.Cut(m.LastError));
            if (table.Count > 0) table.WriteTo(console.Out);
            await console.Out.WriteLineAsync(listing.Total == 0 ? "Mail queue is empty"
                : listing.Messages.Count < listing.Total ? $"{listing.Messages.Count} of {listing.Total} message(s) shown"
                : $"{listing.Total} message(s)");
            ShardsCommand.Unanswered(console, listing.Unanswered);
            return ExitCodes.Ok;
        });
        return list;
    }

    private static Command Show(NodeOptions options, CliConsole console)
    {
        var id = new Argument<string>("id") { Description = "The queue id (as in the 250 reply and the mail log)" };
        var show = new Command("show", "One message: envelope, per-recipient status, and every attempt with route, family and reply") { id };
        show.SetAction(async (result, cancel) =>
        {
            using var client = options.Client(result, console);
            if (client is null) return ExitCodes.Usage;
            var (code, m) = await client.GetAsync($"v1/queue/{Uri.EscapeDataString(result.GetValue(id)!)}", AdminJson.Default.MessageView, cancel);
            if (code != ExitCodes.Ok) return code;
            if (result.GetValue(options.Json)) return ClusterCommands.Json(console, m!, AdminJson.Default.MessageView);

            var now = DateTimeOffset.UtcNow;
            var output = console.Out;
            await output.WriteLineAsync($"id        {m!.Id}");
            await output.WriteLineAsync($"received  {Format.Time(m.ReceivedAt)} ({Format.Age((now - m.ReceivedAt).TotalSeconds)} ago), {m.Size} bytes");
            await output.WriteLineAsync($"sender    <{m.Sender}>");
            await output.WriteLineAsync($"envelope  body={Format.Dash(m.Body)} smtputf8={(m.SmtpUtf8 ? "yes" : "no")} ret={Format.Dash(m.Return)} envid={m.EnvelopeId ?? "-"}");
            foreach (var part in m.Domains)
            {
                await output.WriteLineAsync();
                await output.WriteLineAsync($"domain {part.Domain} (queue on {part.Node}): {part.Attempts} attempt(s), next {Format.When(part.NextAttemptAt, now)}");
                var recipients = new Table("  RECIPIENT", "STATUS", "DSN", "NOTIFY", "DETAIL");
                foreach (var r in part.Recipients)
                    recipients.Add($"  {r.Address}", r.Status, r.Dsn.Length == 0 ? "-" : r.Dsn, r.Notify ?? "-", r.Detail.Length == 0 ? "-" : r.Detail);
                recipients.WriteTo(output);
                if (part.History.Count == 0) continue;
                await output.WriteLineAsync("  attempts:");
                var attempts = new Table("    AT", "RECIPIENT", "ROUTE", "FAMILY", "STATUS", "REPLY");
                foreach (var attempt in part.History)
                foreach (var o in attempt.Outcomes)
                    attempts.Add($"    {Format.Time(attempt.At)}", o.Address, o.Relay ?? "none", o.Family, $"{o.Status} {o.Dsn}".Trim(), o.Detail);
                attempts.WriteTo(output);
            }
            return ExitCodes.Ok;
        });
        return show;
    }

    private static Command Stats(NodeOptions options, CliConsole console)
    {
        var subQueues = new Option<bool>("--sub-queues") { Description = "One line per sub-queue of a split domain (domain#i) instead of one per domain" };
        var stats = new Command("stats", "Per destination domain: messages pending and deferred, the oldest one's age, down-until") { subQueues };
        stats.SetAction(async (result, cancel) =>
        {
            using var client = options.Client(result, console);
            if (client is null) return ExitCodes.Usage;
            var queues = result.GetValue(subQueues);
            var (code, view) = await client.GetAsync(queues ? "v1/queue/stats?subqueues=true" : "v1/queue/stats", AdminJson.Default.QueueStats, cancel);
            if (code != ExitCodes.Ok) return code;
            if (result.GetValue(options.Json)) return ClusterCommands.Json(console, view!, AdminJson.Default.QueueStats);

            var now = DateTimeOffset.UtcNow;
            var table = new Table(queues ? "QUEUE" : "DOMAIN", "NODE", "MESSAGES", "PENDING", "DEFERRED", "RECIPIENTS", "OLDEST", "DOWN UNTIL");
            foreach (var d in view!.Domains)
                table.Add(d.Domain, d.Node, d.Messages, d.Pending, d.Deferred, d.Recipients, d.Messages == 0 ? "-" : Format.Age(d.OldestAgeSeconds),
                    d.DownUntil is { } until ? $"{Format.Time(until)} ({Format.When(until, now)})" : "-");
            if (table.Count > 0) table.WriteTo(console.Out);
            await console.Out.WriteLineAsync(view.Domains.Count == 0 ? "Mail queue is empty"
                : $"{view.Domains.Sum(d => d.Messages)} message(s) in {view.Domains.Count} {(queues ? "queue(s)" : "domain(s)")}");
            ShardsCommand.Unanswered(console, view.Unanswered);
            return ExitCodes.Ok;
        });
        return stats;
    }

    private static Command Retry(NodeOptions options, CliConsole console)
    {
        var id = new Argument<string?>("id") { Description = "The queue id of one message", Arity = ArgumentArity.ZeroOrOne };
        var domain = new Option<string?>("--domain") { Description = "Every message of this destination domain" };
        var all = new Option<bool>("--all") { Description = "Every message in every queue" };
        var retry = new Command("retry", "Attempt now (postqueue -f): one message, a domain's, or all; a down destination is probed at once")
            { id, domain, all };
        retry.Validators.Add(r =>
        {
            var named = (r.GetValue(id) is not null ? 1 : 0) + (r.GetValue(domain) is not null ? 1 : 0) + (r.GetValue(all) ? 1 : 0);
            if (named != 1) r.AddError("name exactly one of: <id>, --domain <domain>, --all");
        });
        retry.SetAction(async (result, cancel) =>
        {
            using var client = options.Client(result, console);
            if (client is null) return ExitCodes.Usage;
            var request = new RetryRequest(result.GetValue(id), result.GetValue(domain), result.GetValue(all));
            var (code, done) = await client.PostAsync("v1/queue/retry", request, AdminJson.Default.RetryRequest, AdminJson.Default.RetryResult, cancel);
            if (code != ExitCodes.Ok) return code;
            if (result.GetValue(options.Json)) return ClusterCommands.Json(console, done!, AdminJson.Default.RetryResult);
            await console.Out.WriteLineAsync(done!.Messages == 0 ? "nothing to retry"
                : $"{done.Messages} message(s) due now in {string.Join(", ", done.Domains)}");
            ShardsCommand.Unanswered(console, done.Unanswered);
            return ExitCodes.Ok;
        });
        return retry;
    }

    private static Command Delete(NodeOptions options, CliConsole console)
    {
        var id = new Argument<string>("id") { Description = "The queue id" };
        var bounce = new Option<bool>("--bounce") { Description = "Return the message to its sender (a DSN: failed, 5.0.0 \"deleted by the operator\")" };
        var delete = new Command("delete", "Remove a message from every queue (postsuper -d), optionally returning it to its sender") { id, bounce };
        delete.SetAction(async (result, cancel) =>
        {
            using var client = options.Client(result, console);
            if (client is null) return ExitCodes.Usage;
            var request = new DeleteRequest(result.GetValue(id)!, result.GetValue(bounce));
            var (code, done) = await client.PostAsync("v1/queue/delete", request, AdminJson.Default.DeleteRequest, AdminJson.Default.DeleteResult, cancel);
            if (code != ExitCodes.Ok) return code;
            if (result.GetValue(options.Json)) return ClusterCommands.Json(console, done!, AdminJson.Default.DeleteResult);
            await console.Out.WriteLineAsync($"{done!.Id}: deleted from {string.Join(", ", done.Domains)}"
                                             + (done.Bounce ? "; the sender gets a DSN" : "; no notice to the sender"));
            ShardsCommand.Unanswered(console, done.Unanswered);
            return done.Unanswered.Count == 0 ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return delete;
    }
}
