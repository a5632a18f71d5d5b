using Tunnel.Cluster.Bounces;
using Tunnel.Cluster.Queue;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// Which DSNs a message owes its sender (RFC 3461 §4.1, RFC 3464): on leaving the queue, one
/// "failed" and one "relayed" notice at most; while waiting, one "delayed" notice once it is old
/// enough. NOTIFY unspecified means failure and delay notices; NEVER means none; the null sender
/// never gets any (RFC 5321 §4.5.5). Messages are built from queue events, as the queue does.
/// Recipients are written "local:NOTIFY=Status" (NOTIFY "-" when unspecified, "+" joins words,
/// Status "Relayed" = delivered to a next hop without DSN); notices "kind: local local".
/// </summary>
public sealed class NoticesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 5, 12, 0, 0, TimeSpan.Zero);
    private static readonly Mailbox Sender = new("sender", "sender.example");

    private static readonly QueueSettings Settings = new(new RetrySchedule(TimeSpan.FromMinutes(5), TimeSpan.FromHours(1)),
        Lifetime: TimeSpan.FromDays(5), DelayWarningAfter: TimeSpan.FromHours(4), ConcurrencyPerDomain: 10, Shards: 10, SnapshotEvery: 100,
        PassivateAfter: TimeSpan.FromMinutes(2), EnqueueTimeout: TimeSpan.FromSeconds(10), AttemptTimeout: TimeSpan.FromMinutes(10),
        ReportingMta: "tunnel.example", MaxReturnedSize: 51200);

    [Theory]
    // Failures: NOTIFY unspecified or naming FAILURE.
    [InlineData("a:-=Failed", "failed: a")]
    [InlineData("a:FAILURE=Failed", "failed: a")]
    [InlineData("a:FAILURE+DELAY=Failed", "failed: a")]
    [InlineData("a:SUCCESS+FAILURE=Failed", "failed: a")]
    [InlineData("a:SUCCESS+FAILURE+DELAY=Failed", "failed: a")]
    [InlineData("a:NEVER=Failed", "")]
    [InlineData("a:SUCCESS=Failed", "")]
    [InlineData("a:DELAY=Failed", "")]
    [InlineData("a:SUCCESS+DELAY=Failed", "")]
    // Several failures make one notice.
    [InlineData("a:-=Failed b:FAILURE=Failed c:NEVER=Failed", "failed: a b")]
    // Delivered: a notice only when relayed to a next hop without DSN and SUCCESS was asked (RFC 3461 §5.2.2).
    [InlineData("a:SUCCESS=Relayed", "relayed: a")]
    [InlineData("a:SUCCESS+FAILURE=Relayed", "relayed: a")]
    [InlineData("a:SUCCESS+DELAY=Relayed", "relayed: a")]
    [InlineData("a:-=Relayed", "")]
    [InlineData("a:FAILURE+DELAY=Relayed", "")]
    [InlineData("a:NEVER=Relayed", "")]
    [InlineData("a:SUCCESS=Delivered", "")] // the next hop took over the duty to notify
    [InlineData("a:-=Delivered", "")]
    [InlineData("a:SUCCESS=Relayed b:SUCCESS=Relayed c:SUCCESS=Delivered", "relayed: a b")]
    // One of each kind at most, failures first.
    [InlineData("a:-=Failed b:SUCCESS=Relayed c:NEVER=Failed d:FAILURE=Delivered", "failed: a | relayed: b")]
    [InlineData("a:SUCCESS=Relayed b:-=Failed", "failed: b | relayed: a")]
    // Nothing went wrong and nobody asked.
    [InlineData("a:-=Delivered b:FAILURE=Delivered", "")]
    public void Final(string recipients, string expected)
    {
        var message = Message(Sender, recipients);

        Assert.Equal(expected, Describe(Notices.Final(message)));
    }

    [Theory]
    [InlineData("a:-=Failed")]
    [InlineData("a:FAILURE=Failed b:SUCCESS=Relayed")]
    [InlineData("a:SUCCESS+FAILURE+DELAY=Failed")]
    public void The_null_sender_never_gets_a_final_notice(string recipients)
    {
        Assert.Empty(Notices.Final(Message(null, recipients)));
    }

    [Fact]
    public void A_final_notice_carries_each_recipient_with_its_outcome()
    {
        var message = Message(Sender, "a:-=Failed b:SUCCESS=Relayed");

        var notices = Notices.Final(message);

        var failed = Assert.Single(notices[0].About);
        Assert.Equal(new Recipient(new Mailbox("a", "example.com"), DsnNotify.Unspecified, "rfc822;a@example.com"), failed.Recipient);
        Assert.Equal(new RecipientOutcome(new Mailbox("a", "example.com"), RecipientStatus.Failed, "5.1.1", "550 5.1.1 no such user", "mx.example.com[192.0.2.25]:25"),
            failed.Outcome);
        var relayed = Assert.Single(notices[1].About);
        Assert.Equal(new Mailbox("b", "example.com"), relayed.Recipient.Address);
        Assert.True(relayed.Outcome.RelayedWithoutDsn);
    }

    /// <summary>
    /// Delay notices (RFC 3464 §2.3.3 "delayed"): warning after 4 h. Rows: the message's age in
    /// hours, whether a delay notice went out already, the recipients, the notice owed.
    /// </summary>
    [Theory]
    [InlineData(3.99, false, "a:-=Deferred", "")]
    [InlineData(4, false, "a:-=Deferred", "delayed: a")]
    [InlineData(30, false, "a:-=Deferred", "delayed: a")]
    [InlineData(200, false, "a:-=Deferred", "delayed: a")] // past the lifetime is the queue's business, not this one's
    // Once per message.
    [InlineData(5, true, "a:-=Deferred", "")]
    // Only recipients still waiting whose NOTIFY allows DELAY.
    [InlineData(5, false, "a:DELAY=Deferred", "delayed: a")]
    [InlineData(5, false, "a:FAILURE+DELAY=Deferred", "delayed: a")]
    [InlineData(5, false, "a:SUCCESS+DELAY=Deferred", "delayed: a")]
    [InlineData(5, false, "a:FAILURE=Deferred", "")]
    [InlineData(5, false, "a:SUCCESS=Deferred", "")]
    [InlineData(5, false, "a:SUCCESS+FAILURE=Deferred", "")]
    [InlineData(5, false, "a:NEVER=Deferred", "")]
    [InlineData(5, false, "a:-=Pending", "delayed: a")] // never tried yet is waiting too
    [InlineData(5, false, "a:-=Delivered b:-=Failed", "")]
    [InlineData(5, false, "a:-=Relayed b:DELAY=Deferred", "delayed: b")]
    [InlineData(5, false, "a:-=Deferred b:DELAY=Deferred c:NEVER=Deferred d:FAILURE=Deferred e:-=Delivered f:-=Pending g:-=Failed",
        "delayed: a b f")]
    public void Delay(double ageInHours, bool notifiedBefore, string recipients, string expected)
    {
        var message = Message(Sender, recipients, delayNotified: notifiedBefore);

        var notice = Notices.Delay(message, T0.AddHours(ageInHours), Settings);

        Assert.Equal(expected, Describe(notice is null ? [] : [notice]));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(200)]
    public void No_delay_notice_when_warnings_are_off(double ageInHours)
    {
        var message = Message(Sender, "a:-=Deferred b:DELAY=Deferred");

        Assert.Null(Notices.Delay(message, T0.AddHours(ageInHours), Settings with { DelayWarningAfter = null }));
    }

    [Fact]
    public void The_null_sender_never_gets_a_delay_notice()
    {
        var message = Message(null, "a:-=Deferred b:DELAY=Deferred");

        Assert.Null(Notices.Delay(message, T0.AddHours(5), Settings));
    }

    [Fact]
    public void A_delay_notice_carries_the_waiting_recipients_with_their_last_outcome()
    {
        var message = Message(Sender, "a:-=Deferred b:-=Delivered");

        var notice = Notices.Delay(message, T0.AddHours(5), Settings)!;

        Assert.Equal("delayed", notice.Kind);
        var (recipient, outcome) = Assert.Single(notice.About);
        Assert.Equal("rfc822;a@example.com", recipient.OriginalRecipient);
        Assert.Equal(RecipientStatus.Deferred, outcome.Status);
        Assert.Equal("451 4.3.0 try again later", outcome.Detail);
    }

    /// <summary>The message as the queue would hold it: enqueued at T0, one attempt at T0 + 1 min when any recipient has an outcome.</summary>
    private static QueuedMessageState Message(Mailbox? sender, string recipients, bool delayNotified = false)
    {
        var id = new MessageId("01HZZZZZZZ0000000001");
        var parsed = recipients.Split(' ').Select(Parse).ToList();
        var state = new DomainQueueState();
        state.Apply(new MessageEnqueued(id, new Envelope(sender), parsed.Select(p => p.Recipient).ToList(), 100, T0));
        var outcomes = parsed.Where(p => p.Outcome is not null).Select(p => p.Outcome!).ToList();
        if (outcomes.Count > 0) state.Apply(new DeliveryAttempted(id, T0.AddMinutes(1), outcomes, T0.AddMinutes(6)));
        if (delayNotified) state.Apply(new DelayNotified(id));
        var message = state.Find(id)!;
        Assert.Equal(delayNotified, message.DelayNotified);
        return message;
    }

    /// <summary>"a:SUCCESS+FAILURE=Failed".</summary>
    private static (Recipient Recipient, RecipientOutcome? Outcome) Parse(string text)
    {
        var (local, rest) = (text.Split(':')[0], text.Split(':')[1]);
        var (notifyText, status) = (rest.Split('=')[0], rest.Split('=')[1]);
        var notify = notifyText == "-"
            ? DsnNotify.Unspecified
            : notifyText.Split('+').Select(w => Enum.Parse<DsnNotify>(w, ignoreCase: true)).Aggregate((a, b) => a | b);
        var address = new Mailbox(local, "example.com");
        const string relay = "mx.example.com[192.0.2.25]:25";
        RecipientOutcome? outcome = status switch
        {
            "Pending" => null,
            "Delivered" => new(address, RecipientStatus.Delivered, "2.0.0", "250 2.0.0 ok", relay),
            "Relayed" => new(address, RecipientStatus.Delivered, "2.0.0", "250 2.0.0 ok", relay, RelayedWithoutDsn: true),
            "Deferred" => new(address, RecipientStatus.Deferred, "4.3.0", "451 4.3.0 try again later", relay),
            "Failed" => new(address, RecipientStatus.Failed, "5.1.1", "550 5.1.1 no such user", relay),
            _ => throw new ArgumentException($"unknown status '{status}'"),
        };
        return (new Recipient(address, notify, $"rfc822;{address}"), outcome);
    }

    private static string Describe(IEnumerable<Notice> notices) =>
        string.Join(" | ", notices.Select(n => $"{n.Kind}: {string.Join(' ', n.About.Select(p => p.Recipient.Address.LocalPart))}"));
}
