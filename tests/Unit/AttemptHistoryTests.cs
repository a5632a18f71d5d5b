using Tunnel.Cluster.Queue;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// What `tunnel queue show` reads: each message keeps its latest attempts (route and reply per
/// recipient), rebuilt from the DeliveryAttempted events on recovery, bounded, and kept in the
/// snapshot; an operator's deletion is one more entry, fails whoever still waits with 5.0.0, and
/// decides whether a notice goes out. The queue's oldest arrival follows every event.
/// </summary>
public sealed class AttemptHistoryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 5, 12, 0, 0, TimeSpan.Zero);
    private static readonly MessageId M1 = new("01HZZZZZZZ0000000001");
    private static readonly MessageId M2 = new("01HZZZZZZZ0000000002");
    private static readonly Mailbox A = new("a", "example.com");
    private static readonly Mailbox B = new("b", "example.com");

    [Fact]
    public void Every_attempt_is_kept_with_route_and_reply_up_to_the_limit()
    {
        var state = new DomainQueueState();
        state.Apply(Enqueued(M1, T0, A, B));
        for (var i = 1; i <= QueuedMessageState.HistoryLimit + 5; i++)
            state.Apply(new DeliveryAttempted(M1, T0.AddMinutes(i), [Deferred(A, $"451 try {i}"), Deferred(B, $"451 try {i}")], T0.AddMinutes(i + 1)));

        var message = state.Find(M1)!;
        Assert.Equal(QueuedMessageState.HistoryLimit + 5, message.Attempts);
        Assert.Equal(QueuedMessageState.HistoryLimit, message.History.Count);
        Assert.Equal(T0.AddMinutes(6), message.History.First().At); // the oldest ones went
        var last = message.History.Last();
        Assert.Equal("mx1.example.com[2001:db8::25]:25", last.Outcomes[0].Relay);
        Assert.Equal($"451 try {QueuedMessageState.HistoryLimit + 5}", last.Outcomes[1].Detail);
    }

    [Fact]
    public void The_history_survives_a_snapshot_and_an_old_snapshot_has_none()
    {
        var state = new DomainQueueState();
        state.Apply(Enqueued(M1, T0, A));
        state.Apply(new DeliveryAttempted(M1, T0.AddMinutes(1), [Deferred(A, "451 later")], T0.AddMinutes(6)));

        var restored = DomainQueueState.From(state.ToSnapshot()).Find(M1)!;
        Assert.Equal("451 later", Assert.Single(restored.History).Outcomes[0].Detail);

        var old = state.ToSnapshot().Messages[0] with { History = null };
        Assert.Empty(DomainQueueState.From(new DomainQueueSnapshot([old])).Find(M1)!.History);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void A_deletion_fails_the_waiting_recipients_and_says_whether_to_notify(bool bounce, bool silent)
    {
        var state = new DomainQueueState();
        state.Apply(Enqueued(M1, T0, A, B));
        state.Apply(new DeliveryAttempted(M1, T0.AddMinutes(1),
            [new RecipientOutcome(A, RecipientStatus.Delivered, "2.0.0", "250 ok", "mx[::1]:25"), Deferred(B, "451 later")], T0.AddMinutes(6)));

        state.Apply(new MessageDeleted(M1, T0.AddMinutes(3), bounce));

        var message = state.Find(M1)!;
        Assert.True(message.Removing);
        Assert.Equal(silent, message.Silent);
        Assert.Equal(RecipientStatus.Delivered, message.Outcomes[0].Status); // already final: untouched
        Assert.Equal(new RecipientOutcome(B, RecipientStatus.Failed, "5.0.0", "deleted by the operator", null), message.Outcomes[1]);
        Assert.Equal([B], message.History.Last().Outcomes.Select(o => o.Recipient));
        Assert.Equal(silent, DomainQueueState.From(state.ToSnapshot()).Find(M1)!.Silent);
    }

    [Fact]
    public void The_oldest_arrival_follows_enqueues_and_removals()
    {
        var state = new DomainQueueState();
        Assert.Null(state.OldestReceivedAt);

        state.Apply(Enqueued(M2, T0.AddMinutes(5), A));
        state.Apply(Enqueued(M1, T0, A));
        Assert.Equal(T0, state.OldestReceivedAt);

        state.Apply(new MessageRemoved(M1));
        Assert.Equal(T0.AddMinutes(5), state.OldestReceivedAt);
        Assert.Equal(T0.AddMinutes(5), DomainQueueState.From(state.ToSnapshot()).OldestReceivedAt);

        state.Apply(new MessageCancelled(M2));
        Assert.Null(state.OldestReceivedAt);
    }

    private static MessageEnqueued Enqueued(MessageId id, DateTimeOffset at, params Mailbox[] to) =>
        new(id, new Envelope(new Mailbox("s", "ip4only.example")), to.Select(t => new Recipient(t)).ToList(), 100, at);

    private static RecipientOutcome Deferred(Mailbox who, string reply) =>
        new(who, RecipientStatus.Deferred, "4.2.0", reply, "mx1.example.com[2001:db8::25]:25");
}
