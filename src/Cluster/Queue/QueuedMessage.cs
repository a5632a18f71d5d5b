using Akka.Actor;
using Akka.Event;
using Tunnel.Cluster.Outbound;
using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Queue;

/// <summary>
/// One queued message while it is being attempted: a child of its DomainQueue, started for one
/// attempt and gone with it. It persists nothing and decides nothing: it runs the attempt
/// (<see cref="Courier"/>) and reports how it ended, with the token its parent gave it, then
/// stops. A waiting message is not an actor, only a row in its queue's state, so a backlog
/// costs memory per message, not per actor. Stopping it cancels the attempt.
/// </summary>
public sealed class QueuedMessage : ReceiveActor
{
    private readonly CancellationTokenSource _stopping = new();

    public QueuedMessage(string domain, QueueAction.StartAttempt attempt, Courier courier, TimeSpan attemptTimeout)
    {
        var log = Context.GetLogger();
        Receive<QueueInput.AttemptFinished>(finished =>
        {
            Context.Parent.Tell(finished);
            Context.Stop(Self);
        });

        var cancel = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        cancel.CancelAfter(attemptTimeout);
        courier.AttemptAsync(domain, attempt.Id, attempt.Envelope, attempt.Recipients, cancel.Token)
            .ContinueWith(task =>
            {
                cancel.Dispose();
                if (task.IsCompletedSuccessfully) return new QueueInput.AttemptFinished(attempt.Id, attempt.Token, task.Result);
                // Not a mail verdict: our own failure (timeout, bug). Temporary, as unknown
                // errors always are; the message waits for its next attempt.
                var reason = task.Exception?.GetBaseException().Message ?? "attempt timed out";
                log.Warning("Attempt of {0} for {1} failed internally: {2}", attempt.Id, domain, reason);
                return new QueueInput.AttemptFinished(attempt.Id, attempt.Token, new AttemptReport(attempt.Recipients
                    .Select(r => new RecipientOutcome(r.Address, RecipientStatus.Deferred, "4.3.0", $"attempt failed: {reason}", null)).ToList(),
                    DestinationDown: false, Owed: false));
            }, TaskScheduler.Default)
            .PipeTo(Self);
    }

    // Arguments, not an expression: Props.Create(() => new …) compiles the expression on every
    // call, and an actor is started for every attempt (12 % of a busy node's CPU, measured).
    public static Props Props(string domain, QueueAction.StartAttempt attempt, QueueServices services) =>
        Akka.Actor.Props.Create<QueuedMessage>(domain, attempt, services.Courier, services.Settings.AttemptTimeout);

    protected override void PostStop() => _stopping.Cancel();
}
