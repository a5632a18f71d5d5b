using System.Net;
using MimeKit;
using Tunnel.Tests.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Tunnel.Tests.Integration;

/// <summary>
/// Issue 12, defect 4: one message with a recipient in each of two domains, and both next hops
/// refuse their recipient for good (550 5.1.1). Each domain's queue owes the sender a failure
/// DSN for its recipient (one DSN per message and destination, as the README says), so the
/// sender gets two: one naming user@example.com, one naming user@example.org.
/// <para>
/// On main at 396ae85 this fails: both queues log "sender notified: failed", but a DSN's id is
/// derived from the message id and the notice kind only, so the second DSN has the first one's
/// id; the spool keeps the first body (ON CONFLICT DO NOTHING) and the sender's queue takes the
/// second Enqueue for a repeat. One DSN arrives, naming one recipient: the assertion fails with
/// "Assert.Equal() Failure: Collections differ" (expected both recipients, actual one).
/// </para>
/// </summary>
public sealed class EachDomainGetsItsOwnDsn(ITestOutputHelper output)
{
    [Fact]
    public async Task Recipients_refused_in_two_domains_give_the_sender_one_DSN_per_domain()
    {
        SinkMx? exampleOrg = null;
        await using var world = await TunnelWorld.StartAsync(zone: (zone, port) =>
        {
            exampleOrg = SinkMx.Start(new IPEndPoint(IPAddress.Parse("127.0.0.6"), port));
            zone.Mx("example.org", 10, "mx.example.org").A("mx.example.org", "127.0.0.6");
        });
        await using var _ = exampleOrg!;

        var reply = await world.SendAsync(TunnelWorld.Sender, ["permfail@example.com", "permfail@example.org"], subject: "two domains");
        var id = TunnelWorld.QueueId(reply);
        foreach (var domain in new[] { "example.com", "example.org" })
            await world.WaitForLogAsync(l => l.Contains($"{id}: to=<permfail@{domain}>") && l.Contains("dsn=5.1.1, status=bounced"),
                $"permfail@{domain} to be refused for good");

        await Eventually.Within(() => world.SenderMx.Messages.Count >= 2, TimeSpan.FromSeconds(30));
        // Both queues have finished the message and whatever DSN they sent has left the sender's
        // queue: nothing more is coming.
        foreach (var domain in new[] { "example.com", "example.org" })
            await world.WaitForLogAsync(l => l.Contains($"{id}: removed from {domain} queue"), $"the message to leave {domain}'s queue");
        await Eventually.Within(() => world.Tunnel.MailLog.Lines.Count(l => l.Contains("removed from ip4only.example queue")) >= 2,
            TimeSpan.FromSeconds(10));
        var dsns = world.SenderMx.Messages;
        foreach (var line in world.Tunnel.MailLog.Lines.Where(l => l.Contains("sender notified") || l.Contains("ip4only.example")))
            output.WriteLine(line);
        string[] expected = ["rfc822; permfail@example.com", "rfc822; permfail@example.org"];
        var named = dsns.SelectMany(FinalRecipients).Order().ToList();
        output.WriteLine($"each domain gets its own DSN: {dsns.Count} DSN(s) reached the sender, naming {string.Join(", ", named)}; " +
                         $"lost {expected.Except(named).Count()} of {expected.Length} failure notices, duplicated {named.Count - named.Distinct().Count()}");
        Assert.All(dsns, dsn => Assert.Null(dsn.Sender));
        Assert.Equal(expected, named);
    }

    /// <summary>The Final-Recipient fields of a DSN's message/delivery-status part.</summary>
    private static IReadOnlyList<string> FinalRecipients(ReceivedMail dsn)
    {
        using var stream = new MemoryStream(dsn.Data);
        var message = MimeMessage.Load(stream);
        var status = message.BodyParts.OfType<MessageDeliveryStatus>().Single();
        return status.StatusGroups.Skip(1).Where(g => g.Contains("Final-Recipient")).Select(g => g["Final-Recipient"]!).ToList();
    }
}
