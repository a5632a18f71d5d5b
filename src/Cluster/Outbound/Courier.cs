using Tunnel.Cluster.Outbound.Policy;
using Tunnel.Cluster.Routing;
using Tunnel.Cluster.Spool;
using Tunnel.Messages.Mail;
using Envelope = Tunnel.Messages.Mail.Envelope;
using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Outbound;

/// <summary>
/// One delivery attempt of one message to one domain, start to end: fetch the body from the
/// spool (only while the domain's reference to it exists), resolve the route, plan the targets
/// (<see cref="RoutePlanner"/>: never ourselves, only what we may and can reach), then walk them
/// until one runs a transaction. Every recipient comes back with a verdict; nothing here throws
/// for mail reasons. The node's bounds on outbound work are kept on the way: bodies read and held
/// (<see cref="BodyReader"/>), connections (<see cref="SmtpSender"/>); an attempt that waited
/// for them in vain is deferred with 4.4.5. Owns: the order of targets within an attempt. Does
/// not own: when to attempt (Queue/).
/// </summary>
/// <param name="tls">The destination's TLS requirement (levels, MTA-STS); null: opportunistic for every domain.</param>
/// <param name="mtaStsFailure">Told what an MTA-STS policy refused (enforce: not sent there) or would have refused (testing: sent anyway), for the log and metrics.</param>
public sealed class Courier(SpoolStore spool, RouteResolver resolver, RoutingPolicy policy, SmtpSender sender,
    DestinationTls? tls = null, Action<string, MtaStsMode, string>? mtaStsFailure = null)
{
    private readonly BodyReader _bodies = new(spool, sender.Settings);

    public async Task<AttemptReport> AttemptAsync(string domain, MessageId id, Envelope envelope,
        IReadOnlyList<Recipient> recipients, CancellationToken cancel)
    {
        // The reference row is the truth that this domain owes the message: without it, nothing is sent.
        using var read = await _bodies.ReadAsync(id, domain, cancel);
        if (read.BusyReason is { } congestion)
            return All(recipients, RecipientStatus.Deferred, Congested, congestion, down: false) with { Owed = read.Owed };
        if (!read.Owed) return new AttemptReport([], DestinationDown: false, NotOwed: true);
        if (read.Body is not { } message)
            return All(recipients, RecipientStatus.Failed, "5.3.0", "the message's content is missing from the spool", down: false);

        var lookup = await resolver.ResolveAsync(domain, cancel);
        if (lookup is RouteFailure failure)
            return All(recipients, failure.Permanent ? RecipientStatus.Failed : RecipientStatus.Deferred, failure.Dsn, failure.Detail,
                down: !failure.Permanent);

        var plan = RoutePlanner.Plan((Route)lookup, policy);
        if (plan is NoTargets none)
            return All(recipients, none.Permanent ? RecipientStatus.Failed : RecipientStatus.Deferred, none.Dsn, none.Detail, down: false);

        var requirement = tls is null ? TlsRequirement.Opportunistic : await tls.ForAsync(domain, cancel);
        var problems = new List<string>();
        string? tlsDsn = null; // the first refusal of the TLS policy: the deferral's code, and the destination is not down
        foreach (var target in ((Targets)plan).List)
        {
            // RFC 8461 §4.1: an MX host the enforced policy does not list is not used at all.
            if (requirement.Enforced && requirement.HostProblem(target.Host) is { } notListed)
            {
                problems.Add(notListed);
                tlsDsn ??= "4.7.5";
                mtaStsFailure?.Invoke(domain, MtaStsMode.Enforce, notListed);
                continue;
            }
            var hostRequirement = requirement;
            if (tls is not null && requirement.Level == TlsLevel.Dane)
            {
                var (forHost, refused) = await tls.ForHostAsync(requirement, target.Host, target.EndPoint.Port, cancel);
                if (forHost is null)
                {
                    problems.Add($"{target}: {refused}");
                    tlsDsn ??= "4.7.5";
                    continue;
                }
                hostRequirement = forHost;
            }
            var result = await sender.SendAsync(target, envelope, recipients, message, cancel, hostRequirement);
            switch (result)
            {
                case TransactionCompleted completed:
                    if (requirement.TestingFailure(target.Host, completed.Tls ?? TlsOutcome.Plaintext) is { } wouldRefuse)
                        mtaStsFailure?.Invoke(domain, MtaStsMode.Testing, wouldRefuse);
                    return new AttemptReport(completed.NextHopOffersDsn ? completed.Outcomes : MarkRelayed(completed.Outcomes), DestinationDown: false);
                case TargetBusy busy:
                    // Our own limit, not the server's trouble: the destination is not down, and
                    // the next target would be a detour (a backup MX) around a server that works.
                    problems.Add(busy.Detail);
                    return All(recipients, RecipientStatus.Deferred, Congested, string.Join("; ", problems), down: false);
                case TargetUnusable unusable:
                    problems.Add(unusable.Detail);
                    if (unusable.Dsn is not null)
                    {
                        tlsDsn ??= unusable.Dsn;
                        if (requirement.Enforced) mtaStsFailure?.Invoke(domain, MtaStsMode.Enforce, unusable.Detail);
                    }
                    break;
            }
        }
        // A TLS refusal is the policy's verdict on servers that answered: deferred with its
        // 4.7.x code, and the destination is not down (its other mail may go elsewhere).
        return All(recipients, RecipientStatus.Deferred, tlsDsn ?? "4.4.1", string.Join("; ", problems), down: tlsDsn is null);
    }

    /// <summary>
    /// Recipient verification (<c>tunnel.relay.verify-recipients</c>): the route as for a
    /// delivery, then the targets in order until one answers the probe. A route that can never
    /// work (no such domain, null MX, only ourselves) makes the address undeliverable: refusing it
    /// at RCPT beats bouncing it later. Whatever is only temporary is no answer.
    /// </summary>
    public async Task<Ingress.RecipientVerdict> VerifyRecipientAsync(Mailbox recipient, CancellationToken cancel)
    {
        var lookup = await resolver.ResolveAsync(recipient.Domain, cancel);
        if (lookup is RouteFailure failure)
            return failure.Permanent ? new Ingress.RecipientVerdict.Invalid($"{failure.Dsn} {failure.Detail}") : new Ingress.RecipientVerdict.Unknown(failure.Detail);
        var plan = RoutePlanner.Plan((Route)lookup, policy);
        if (plan is NoTargets none)
            return none.Permanent ? new Ingress.RecipientVerdict.Invalid($"{none.Dsn} {none.Detail}") : new Ingress.RecipientVerdict.Unknown(none.Detail);
        var problems = new List<string>();
        foreach (var target in ((Targets)plan).List)
        {
            switch (await sender.ProbeAsync(target, recipient, cancel))
            {
                case ProbeAnswered { Code: >= 200 and < 300 }:
                    return new Ingress.RecipientVerdict.Valid();
                case ProbeAnswered { Code: >= 500 } refused:
                    return new Ingress.RecipientVerdict.Invalid(refused.Reply);
                case ProbeAnswered other:
                    return new Ingress.RecipientVerdict.Unknown($"{target.Host} answered {other.Reply}");
                case TargetBusy busy:
                    return new Ingress.RecipientVerdict.Unknown(busy.Detail);
                case TargetUnusable unusable:
                    problems.Add(unusable.Detail);
                    break;
            }
        }
        return new Ingress.RecipientVerdict.Unknown(string.Join("; ", problems));
    }

    /// <summary>RFC 3463 §3.5 X.4.5 "mail system congestion": this node's outbound limits, never the message's fault.</summary>
    private const string Congested = "4.4.5";

    private static AttemptReport All(IReadOnlyList<Recipient> recipients, RecipientStatus status, string dsn, string detail, bool down) =>
        new(recipients.Select(r => new RecipientOutcome(r.Address, status, dsn, detail, null)).ToList(), down);

    // RFC 3461 §5.2.2: delivered to a server without DSN, the chain of notices ends here; a
    // sender who asked for success notices gets a "relayed" one from us.
    private static IReadOnlyList<RecipientOutcome> MarkRelayed(IReadOnlyList<RecipientOutcome> outcomes) =>
        outcomes.Select(o => o.Status == RecipientStatus.Delivered ? o with { RelayedWithoutDsn = true } : o).ToList();
}
