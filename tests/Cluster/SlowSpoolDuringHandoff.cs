using Npgsql;
using Tunnel.Tests.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Tunnel.Tests.Cluster;

/// <summary>
/// Issue 12, defect 3: a 250 must not be lost when the domain's queue moves while the spool is
/// slow. Three nodes on PostgreSQL. A trigger makes every insert into the spool's body table
/// sleep (a storage stall under load), for less than <c>tunnel.queue.enqueue-timeout</c>, so the
/// submission still completes. A message for d1.example goes to a node that does not host
/// d1.example's queue; while its spool insert sleeps, the node hosting the queue is asked to
/// leave (`tunnel cluster leave`, as in a rolling upgrade), so the queue restarts elsewhere.
/// If the client got 250, the message is delivered; a 451 is allowed (nothing kept then).
/// Afterwards d1.example's queue takes new mail (not frozen).
/// <para>
/// On main at 396ae85 this fails. The Enqueue is persisted by the queue at once while the body
/// insert sleeps; the queue restarts on another node ~3 s after the leave, ignores its body gate
/// on recovery, attempts the message, finds no body and logs
/// "&lt;id&gt;: cancelled for d1.example: its body is not in the spool, so its submission never
/// completed (no 250 was given)"; then the spool commit completes and the client gets 250. The
/// assertion: <c>Assert.Equal() Failure: Expected: 0, Actual: 1</c> with the summary
/// "slow spool during handoff: accepted 1 (250), refused 0 …, delivered 0 of 1, lost 1, …".
/// </para>
/// </summary>
public sealed class SlowSpoolDuringHandoff(ITestOutputHelper output)
{
    private const string Domain = "d1.example";
    private static readonly TimeSpan InsertSleep = TimeSpan.FromSeconds(8);

    [Fact]
    public async Task A_message_accepted_while_its_queue_moves_and_the_spool_is_slow_is_delivered()
    {
        // The stall is shorter than the enqueue timeout, so the submission completes with 250.
        await using var cluster = await ClusterHarness.StartAsync(nodes: 3, domains: 2, extraSettings: "queue.enqueue-timeout = 20s");
        var tally = new FaultTally("slow spool during handoff");

        // d1.example's queue runs somewhere: a first message starts it (and is delivered).
        await ClusterHarness.SendUntilAcceptedAsync(cluster.Smtp(1), $"warm@{Domain}", "warm-up", TimeSpan.FromMinutes(1),
            $"mail for {Domain} to be accepted");
        await Eventually.Until(() => cluster.Delivered.Any(m => ClusterHarness.TagOf(m) == "warm-up"), TimeSpan.FromSeconds(30),
            "the warm-up message to be delivered");
        var host = (await cluster.QueueHostsAsync(via: 1))[Domain];
        var ingress = host == 1 ? 2 : 1;
        var asker = 6 - host - ingress; // the third node asks the host to leave
        output.WriteLine($"{Domain}'s queue is on node {host}; the message goes to node {ingress}; node {asker} asks node {host} to leave");

        var database = cluster.Postgres.ConnectionString("tunnel_cluster");
        await ExecuteAsync(database, $"""
            CREATE FUNCTION tunnel_test_slow_spool() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_sleep({InsertSleep.TotalSeconds}); RETURN NEW; END $$;
            CREATE TRIGGER tunnel_test_slow_spool BEFORE INSERT ON tunnel_spool
              FOR EACH ROW EXECUTE FUNCTION tunnel_test_slow_spool();
            """);

        var sending = ClusterHarness.SendForReplyAsync(cluster.Smtp(ingress), $"user@{Domain}", "slow");
        await Eventually.Until(async () => await SleepingInsertsAsync(database) > 0, TimeSpan.FromSeconds(10),
            "the message's spool insert to be sleeping in the trigger");
        await cluster.LeaveAsync(host, via: asker);

        var reply = await sending;
        output.WriteLine($"reply to the message sent while the spool was slow: {reply}");
        tally.Replied("slow", reply);
        await ExecuteAsync(database, "DROP TRIGGER tunnel_test_slow_spool ON tunnel_spool; DROP FUNCTION tunnel_test_slow_spool();");
        Assert.Equal(0, await cluster.Node(host).ExitedAsync(TimeSpan.FromMinutes(1)));
        await cluster.ForgetAsync(host);

        await Eventually.Within(() => tally.AcceptedTags.All(Arrived(cluster)), TimeSpan.FromSeconds(60));
        // Not frozen: d1.example's queue, wherever it lives now, delivers a new message.
        await ClusterHarness.SendUntilAcceptedAsync(cluster.Smtp(ingress), $"probe@{Domain}", "probe", TimeSpan.FromSeconds(30),
            $"a probe for {Domain} to be accepted");
        tally.Probed(Domain, await Eventually.Within(() => Arrived(cluster)("probe"), TimeSpan.FromSeconds(30)));

        var figures = tally.Count(cluster.Delivered.Select(ClusterHarness.TagOf).Where(t => t == "slow"));
        output.WriteLine(figures.ToString());
        foreach (var line in cluster.Nodes.OfType<NodeProcess>().SelectMany(n => n.Output).Where(l => l.Contains("cancelled for")))
            output.WriteLine(line);
        Assert.Equal(0, figures.Lost);
        Assert.Equal(0, figures.Frozen);
    }

    private static Func<string, bool> Arrived(ClusterHarness cluster) =>
        tag => cluster.Delivered.Any(m => ClusterHarness.TagOf(m) == tag);

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Sessions of the database sleeping in pg_sleep, i.e. inserts held by the trigger.</summary>
    private static async Task<long> SleepingInsertsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
