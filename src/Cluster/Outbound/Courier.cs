using Tunnel.Cluster.Routing;
using Tunnel.Cluster.Spool;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Outbound;

/// <summary>
/// One delivery attempt of one message to one domain, start to end: fetch the body from the
/// spool, resolve the route, drop ourselves, then walk the targets until one runs a
/// transaction. Every recipient comes back with a verdict; nothing here throws for mail
/// reasons. Owns: the order of targets within an attempt. Does not own: when to attempt (Queue/).
/// </summary>
public sealed class Courier(SpoolStore spool, RouteResolver resolver, OwnAddresses own, SmtpSender sender, int port)
{
    /// <summary>How many targets one attempt tries before deferring (Postfix: smtp_mx_address_limit).</summary>
    private const int MaxTargetsPerAttempt = 5;

    public async Task<IReadOnlyList<RecipientOutcome>> AttemptAsync(string domain, MessageId id, Envelope envelope,
        IReadOnlyList<Recipient> recipients, CancellationToken cancel)
    {
        var message = await spool.ReadAsync(id, cancel);
        if (message is null)
            return All(recipients, RecipientStatus.Deferred, "4.3.0", $"message {id} is missing from the spool", null);

        var lookup = await resolver.ResolveAsync(domain, cancel);
        if (lookup is RouteFailure failure)
            return All(recipients, failure.Permanent ? RecipientStatus.Failed : RecipientStatus.Deferred, failure.Dsn, failure.Detail, null);

        var plan = RoutePlanner.Plan((Route)lookup, own, port);
        if (plan is NoTargets none)
            return All(recipients, none.Permanent ? RecipientStatus.Failed : RecipientStatus.Deferred, none.Dsn, none.Detail, null);

        var problems = new List<string>();
        foreach (var target in ((Targets)plan).List.Take(MaxTargetsPerAttempt))
        {
            var result = await sender.SendAsync(target, envelope, recipients, message, cancel);
            if (result is TransactionCompleted completed) return completed.Outcomes;
            problems.Add(((TargetUnusable)result).Detail);
        }
        return All(recipients, RecipientStatus.Deferred, "4.4.1", string.Join("; ", problems), null);
    }

    private static IReadOnlyList<RecipientOutcome> All(IReadOnlyList<Recipient> recipients, RecipientStatus status,
        string dsn, string detail, string? relay) =>
        recipients.Select(r => new RecipientOutcome(r.Address, status, dsn, detail, relay)).ToList();
}
