using Tunnel.Messages;

namespace Tunnel.Cluster.Queue;

/// <summary>
/// What one input decided: the events to persist (already applied to the machine's state) and
/// the actions to run once they are durable, in order.
/// </summary>
public sealed class QueueStep(DomainQueueState state)
{
    private readonly List<ITunnelMessage> _events = [];
    private readonly List<QueueAction> _actions = [];

    public IReadOnlyList<ITunnelMessage> Events => _events;
    public IReadOnlyList<QueueAction> Actions => _actions;

    public void Persist(ITunnelMessage @event)
    {
        state.Apply(@event);
        _events.Add(@event);
    }

    public void Do(QueueAction action) => _actions.Add(action);

    public void Log(QueueLogEntry entry) => _actions.Add(new QueueAction.Log(entry));
}
