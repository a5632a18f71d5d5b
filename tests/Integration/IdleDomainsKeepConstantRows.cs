using Microsoft.Data.Sqlite;
using Tunnel.Tests.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Tunnel.Tests.Integration;

/// <summary>
/// Issue 12, defect 5 (storage grows forever): storage is bounded by live mail. One node on
/// SQLite takes 200 messages for 10 domains; all are delivered, the queues go idle and passivate
/// (tunnel.queue.passivate-after = 2s). Then what is left on disk for those 10 domain queues
/// (persistence ids <c>domain-queue-&lt;domain&gt;</c>) is counted in every SQLite file of the
/// node's data directory: journal rows, snapshot rows, and spool rows (bodies and references).
/// An idle domain keeps a constant number of rows, whatever mail it has carried: at most 2 journal
/// rows and 1 snapshot per domain, and no spool row at all.
/// <para>
/// On main at 396ae85 this fails: a domain with 20 messages never reaches snapshot-every (500)
/// within one incarnation, so none of its events is ever deleted. Measured: 600 journal rows
/// for the 10 domains (3 events per delivered message: enqueued, attempted, removed), 0
/// snapshots, 0 spool rows; the assertion names the first domain with its 60 rows. With the queue
/// core of issue 12: 1 journal row (Akka.Persistence.Sql keeps the last one, marked deleted, for
/// the sequence number) and 1 empty snapshot per domain, 0 spool rows.
/// </para>
/// </summary>
public sealed class IdleDomainsKeepConstantRows(ITestOutputHelper output)
{
    private const int Messages = 200;
    private const int DomainCount = 10;
    private const int MaxJournalRowsPerDomain = 2;
    private const int MaxSnapshotsPerDomain = 1;

    [Fact]
    public async Task After_200_messages_to_10_domains_each_idle_domain_keeps_a_constant_number_of_rows()
    {
        var domains = Enumerable.Range(0, DomainCount).Select(i => $"d{i}.example").ToList();
        await using var world = await TunnelWorld.StartAsync(
            settings: $"relay.domains = [{string.Join(", ", domains.Select(d => $"\"{d}\""))}]\nqueue.passivate-after = 2s",
            zone: (zone, _) =>
            {
                foreach (var domain in domains) zone.Mx(domain, 10, $"mx.{domain}").Aaaa($"mx.{domain}", "::1");
            });
        var tally = new FaultTally("idle domains keep constant rows");

        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 5).Select(async _ =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) < Messages)
                tally.Replied($"m{n}", await world.SendAsync(TunnelWorld.Sender, [$"user{n}@{domains[n % DomainCount]}"], subject: $"m{n}"));
        }));
        Assert.Equal(Messages, tally.AcceptedTags.Count);
        await Eventually.Until(() => tally.AcceptedIds.Values.All(id => world.Tunnel.MailLog.Lines.Any(l => l.Contains($"{id}: removed from "))),
            TimeSpan.FromSeconds(90), $"all {Messages} messages to be delivered and leave their queues");
        await Eventually.Until(async () => !(await RunningQueuesAsync(world)).Intersect(domains).Any(), TimeSpan.FromSeconds(30),
            "the 10 domain queues to be idle and passivated");
        var figures = tally.Count(world.ExampleCom.Messages.Select(Subject));
        output.WriteLine(figures.ToString());

        var rows = CountRows(world.Tunnel.DataDirectory, domains.Select(d => $"domain-queue-{d}").ToHashSet());
        foreach (var (table, count) in rows.Tables) output.WriteLine($"  {table}: {count} row(s)");
        output.WriteLine($"storage after {Messages} messages to {DomainCount} domains, all idle: {rows.Journal.Values.Sum()} journal row(s), " +
                         $"{rows.Snapshots.Values.Sum()} snapshot row(s), {rows.Spool} spool row(s); per domain: " +
                         string.Join(", ", domains.Select(d => $"{d} {rows.Journal.GetValueOrDefault($"domain-queue-{d}")}+{rows.Snapshots.GetValueOrDefault($"domain-queue-{d}")}")));

        Assert.Equal(0, figures.Lost);
        Assert.Equal(0, rows.Spool);
        foreach (var domain in domains)
        {
            var id = $"domain-queue-{domain}";
            Assert.True(rows.Journal.GetValueOrDefault(id) <= MaxJournalRowsPerDomain,
                $"{domain}, idle after {Messages / DomainCount} messages, keeps {rows.Journal.GetValueOrDefault(id)} journal rows (at most {MaxJournalRowsPerDomain})");
            Assert.True(rows.Snapshots.GetValueOrDefault(id) <= MaxSnapshotsPerDomain,
                $"{domain}, idle, keeps {rows.Snapshots.GetValueOrDefault(id)} snapshots (at most {MaxSnapshotsPerDomain})");
        }
    }

    private static string Subject(ReceivedMail mail)
    {
        var text = mail.Text;
        var start = text.IndexOf("Subject: ", StringComparison.Ordinal) + 9;
        return text[start..text.IndexOf('\r', start)];
    }

    /// <summary>The domains whose queue runs now (`tunnel shards`).</summary>
    private static async Task<IReadOnlyList<string>> RunningQueuesAsync(TunnelWorld world)
    {
        var shards = await Cli.RunAsync("shards", "--node", world.Tunnel.Admin, "--json");
        return shards.Json.GetProperty("nodes").EnumerateArray()
            .SelectMany(n => n.GetProperty("shards").EnumerateArray())
            .SelectMany(s => s.GetProperty("domains").EnumerateArray()).Select(d => d.GetString()!).ToList();
    }

    private sealed record Rows(Dictionary<string, long> Journal, Dictionary<string, long> Snapshots, long Spool, List<(string Table, long Count)> Tables);

    /// <summary>
    /// Every SQLite file of the node: in each table with a persistence_id column (Akka.Persistence.Sql's
    /// journal, snapshots, tags), the rows of <paramref name="persistenceIds"/>, by id; in the spool's
    /// tables (tunnel_*), every row (nothing else was ever sent).
    /// </summary>
    private static Rows CountRows(string dataDirectory, IReadOnlySet<string> persistenceIds)
    {
        var rows = new Rows([], [], 0, []);
        var spool = 0L;
        foreach (var file in Directory.GetFiles(dataDirectory, "*.db", SearchOption.AllDirectories))
        {
            using var connection = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
            connection.Open();
            foreach (var table in Query(connection, "SELECT name FROM sqlite_master WHERE type = 'table'", r => r.GetString(0)))
            {
                var columns = Query(connection, $"PRAGMA table_info(\"{table}\")", r => r.GetString(1));
                if (columns.Contains("persistence_id"))
                {
                    var into = table.Contains("snapshot", StringComparison.OrdinalIgnoreCase) ? rows.Snapshots : rows.Journal;
                    var total = 0L;
                    foreach (var (id, count) in Query(connection, $"SELECT persistence_id, COUNT(*) FROM \"{table}\" GROUP BY persistence_id",
                                 r => (r.GetString(0), r.GetInt64(1))).Where(g => persistenceIds.Contains(g.Item1)))
                    {
                        into[id] = into.GetValueOrDefault(id) + count;
                        total += count;
                    }
                    rows.Tables.Add(($"{Path.GetFileName(file)} {table} (domain queues)", total));
                }
                else if (table.StartsWith("tunnel_", StringComparison.Ordinal))
                {
                    var count = Query(connection, $"SELECT COUNT(*) FROM \"{table}\"", r => r.GetInt64(0)).Single();
                    spool += count;
                    rows.Tables.Add(($"{Path.GetFileName(file)} {table}", count));
                }
            }
        }
        return rows with { Spool = spool };
    }

    private static List<T> Query<T>(SqliteConnection connection, string sql, Func<SqliteDataReader, T> read)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var result = new List<T>();
        while (reader.Read()) result.Add(read(reader));
        return result;
    }
}
