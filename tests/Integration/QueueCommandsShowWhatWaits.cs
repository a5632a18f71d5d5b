using System.Text.Json;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// An operator looks at mail that waits (example.com's server answers 451 for tempfail@) with
/// `tunnel queue list / show / stats`, brings an attempt forward with `retry`, and removes it
/// with `delete`: silently, or returning it to its sender with a DSN (5.0.0, "deleted by the
/// operator"). Every command is run as the CLI runs, against the real node's admin endpoint.
/// </summary>
public sealed class QueueCommandsShowWhatWaits
{
    [Fact]
    public async Task Waiting_mail_is_listed_shown_retried_and_deleted()
    {
        await using var world = await TunnelWorld.StartAsync("queue.retry { first = 1h, max = 1h }");
        var node = world.Tunnel.Admin;
        var silent = TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, ["tempfail1@example.com"], "one"));
        var bounced = TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, ["tempfail2@example.com", "user@example.com"], "two"));
        await world.WaitForLogAsync(l => l.Contains($"{silent}: to=<tempfail1@example.com>") && l.Contains("status=deferred"), "the first deferral");
        await world.WaitForLogAsync(l => l.Contains($"{bounced}: to=<tempfail2@example.com>") && l.Contains("status=deferred"), "the second deferral");

        // mailq: both messages, oldest first, with the recipients' states and the last error.
        var list = await Cli.RunAsync("queue", "list", "--node", node);
        Assert.Equal(0, list.Code);
        var lines = list.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^ID +DOMAIN +AGE +SIZE +SENDER +RECIPIENTS +NEXT +LAST ERROR$", lines[0]);
        Assert.StartsWith(silent, lines[1]);
        Assert.Contains("tempfail1@example.com (deferred)", lines[1]);
        Assert.Contains("451 4.2.0", lines[1]);
        Assert.DoesNotContain("4.2.0 451 4.2.0", lines[1]); // the enhanced code once, as the server said it
        Assert.StartsWith(bounced, lines[2]);
        Assert.Contains("tempfail2@example.com (deferred), user@example.com (sent)", lines[2]);
        Assert.Equal("2 message(s)", lines[3]);

        var json = (await Cli.RunAsync("queue", "list", "--node", node, "--json", "--limit", "1")).Json;
        Assert.Equal(2, json.GetProperty("total").GetInt32());
        var first = Assert.Single(json.GetProperty("messages").EnumerateArray());
        Assert.Equal(silent, first.GetProperty("id").GetString());
        Assert.Equal("example.com", first.GetProperty("domain").GetString());
        Assert.Equal(TunnelWorld.Sender, first.GetProperty("sender").GetString());
        Assert.Equal("deferred", first.GetProperty("recipients")[0].GetProperty("status").GetString());
        Assert.Equal(1, first.GetProperty("attempts").GetInt32());

        Assert.Contains("Mail queue is empty", (await Cli.RunAsync("queue", "list", "--node", node, "--state", "pending")).Output);
        Assert.Contains("Mail queue is empty", (await Cli.RunAsync("queue", "list", "--node", node, "--domain", "example.org")).Output);
        Assert.Equal(2, (await Cli.RunAsync("queue", "list", "--node", node, "--state", "deferred", "--json")).Json.GetProperty("total").GetInt32());

        // show: the envelope, each recipient, and the attempt with its route, family and reply.
        var show = await Cli.RunAsync("queue", "show", bounced, "--node", node);
        Assert.Equal(0, show.Code);
        Assert.Contains($"id        {bounced}", show.Output);
        Assert.Contains($"sender    <{TunnelWorld.Sender}>", show.Output);
        Assert.Contains("envelope  body=- smtputf8=no ret=- envid=-", show.Output); // MAIL FROM without parameters
        Assert.Contains("domain example.com (queue on 127.0.0.1:", show.Output);
        Assert.Matches(@"tempfail2@example\.com +deferred +4\.2\.0", show.Output);
        Assert.Matches(@"user@example\.com +sent +2\.0\.0", show.Output);
        Assert.Matches($@"tempfail2@example\.com +mx1\.example\.com\[::1\]:{world.Port} +ipv6 +deferred 4\.2\.0 +451 4\.2\.0", show.Output);
        var part = (await Cli.RunAsync("queue", "show", bounced, "--node", node, "--json")).Json.GetProperty("domains")[0];
        var attempt = part.GetProperty("history")[0].GetProperty("outcomes");
        Assert.Equal(2, attempt.GetArrayLength());
        Assert.All(attempt.EnumerateArray(), o => Assert.Equal("ipv6", o.GetProperty("family").GetString()));

        // stats: one domain, two deferred messages, not down (the server answers).
        var stats = await Cli.RunAsync("queue", "stats", "--node", node);
        Assert.Matches(@"example\.com +127\.0\.0\.1:\d+ +2 +0 +2 +2 +\d+s +-", stats.Output);

        // retry: an attempt now instead of in an hour.
        var retry = await Cli.RunAsync("queue", "retry", silent, "--node", node);
        Assert.Equal(0, retry.Code);
        Assert.Equal("1 message(s) due now in example.com\n", retry.Output);
        await Eventually.Until(async () => (await Cli.RunAsync("queue", "show", silent, "--node", node, "--json")).Json
            .GetProperty("domains")[0].GetProperty("attempts").GetInt32() == 2, TimeSpan.FromSeconds(30), "the second attempt");

        // delete: silently, then with a bounce.
        var deleted = await Cli.RunAsync("queue", "delete", silent, "--node", node);
        Assert.Equal($"{silent}: deleted from example.com; no notice to the sender\n", deleted.Output);
        await world.WaitForLogAsync(l => l.Contains($"{silent}: to=<tempfail1@example.com>") && l.Contains("dsn=5.0.0, status=deleted"), "the deletion");
        await world.WaitForLogAsync(l => l.Contains($"{silent}: removed from example.com queue"), "the first message to leave");

        var bounce = await Cli.RunAsync("queue", "delete", bounced, "--bounce", "--node", node, "--json");
        Assert.Equal(["example.com"], bounce.Json.GetProperty("domains").EnumerateArray().Select(d => d.GetString()));
        var (dsn, _) = await world.WaitForDsnAsync();
        Assert.Contains("Status: 5.0.0", dsn.Text);
        Assert.Contains("deleted by the operator", dsn.Text);
        Assert.Contains("tempfail2@example.com", dsn.Text);
        Assert.DoesNotContain("Final-Recipient: rfc822; user@example.com", dsn.Text); // it was delivered
        Assert.Contains("Subject: two", dsn.Text); // the original returned
        await world.WaitForLogAsync(l => l.Contains($"{bounced}: to=<tempfail2@example.com>") && l.Contains("dsn=5.0.0, status=bounced (deleted by the operator)"),
            "the bounce line");
        await world.WaitForLogAsync(l => l.Contains($"{bounced}: removed from example.com queue"), "the second message to leave");

        Assert.Single(world.SenderMx.Messages); // one DSN: the silent deletion sent none
        var gone = await Cli.RunAsync("queue", "show", silent, "--node", node);
        Assert.Equal(1, gone.Code);
        Assert.Equal($"tunnel: message {silent} is not in any queue\n", gone.Error);
    }
}
