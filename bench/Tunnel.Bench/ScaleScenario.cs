using System.Globalization;
using System.Text;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;
using Tunnel.Messages.Serialization;

namespace Tunnel.Bench;

/// <summary>
/// --scenario scale (issue 15): the same load on fresh nodes in several shapes, one after the
/// other, printed side by side. At D domains (default 10): 1 node on SQLite, 1 node on
/// PostgreSQL, 3 nodes on PostgreSQL. Then one hot domain whose server takes --mx-delay
/// (default 100 ms) per transaction: 1 node with the domain as one queue (today's ceiling:
/// concurrency-per-domain attempts at once), 1 node with it split in 3, and 3 nodes with it
/// split in 3 (one sub-queue per node). For the PostgreSQL runs, the database's commits, rows,
/// WAL bytes and CPU per message (warm-up included: every message's whole life, stored,
/// delivered and removed, is in the window).
/// </summary>
public sealed class ScaleScenario(BenchOptions options)
{
    /// <summary>How long the nodes' CPU without load is measured before each shape's load.</summary>
    private static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(10);

    public sealed record Case(string Name, int Nodes, string Storage, int Domains, int Split, TimeSpan MxDelay, int Messages);

    public IReadOnlyList<Case> Cases => options.HotOnly ? All.Where(c => c.Name.StartsWith("hot", StringComparison.Ordinal)).ToList() : All;

    private IReadOnlyList<Case> All { get; } =
    [
        new("1 node, SQLite", 1, BenchOptions.Sqlite, options.Domains, 1, TimeSpan.Zero, options.Messages),
        new("1 node, PostgreSQL", 1, BenchOptions.Postgres, options.Domains, 1, TimeSpan.Zero, options.Messages),
        new("3 nodes, PostgreSQL", 3, BenchOptions.Postgres, options.Domains, 1, TimeSpan.Zero, options.Messages),
        new("hot: 1 node, one queue", 1, BenchOptions.Postgres, 1, 1, options.MxDelay, options.HotMessages),
        new("hot: 1 node, split 3", 1, BenchOptions.Postgres, 1, 3, options.MxDelay, options.HotMessages),
        new("hot: 3 nodes, split 3", 3, BenchOptions.Postgres, 1, 3, options.MxDelay, options.HotMessages),
    ];

    public async Task<ScaleResult> RunAsync(CancellationToken cancel)
    {
        var rows = new List<ScaleRow>();
        foreach (var shape in Cases)
        {
            cancel.ThrowIfCancellationRequested();
            var warmup = Math.Min(options.Warmup, shape.Messages / 5);
            var run = options with
            {
                Scenario = BenchOptions.LoadScenario, Nodes = shape.Nodes, Storage = shape.Storage, Domains = shape.Domains,
                Split = shape.Split, MxDelay = shape.MxDelay, Messages = shape.Messages, Warmup = warmup,
            };
            LoadScenario.Log($"--- {shape.Name}: {shape.Messages} messages (+{warmup} warm-up), D={shape.Domains}, mx-delay {shape.MxDelay.TotalMilliseconds:0}ms");
            await using var rig = await BenchRig.StartAsync(run);
            // What the nodes use without load in the 10 s after their start (the end of start-up:
            // tiered compilation, the cluster forming; a settled idle node uses ~0.04 cores): on a
            // shared machine this is taken from the work.
            var idleFrom = rig.Nodes.Sum(n => ProcessSample.Of(n.Id).Cpu.TotalSeconds);
            await Task.Delay(IdleWindow, cancel);
            var idleCores = Math.Round((rig.Nodes.Sum(n => ProcessSample.Of(n.Id).Cpu.TotalSeconds) - idleFrom) / IdleWindow.TotalSeconds, 3);
            var pgBefore = rig.Connection is { } c ? await PostgresSample.OfAsync(c, rig.Postgres!.ProcessId) : null;
            var cpuBefore = rig.Nodes.Sum(n => ProcessSample.Of(n.Id).Cpu.TotalMilliseconds);
            var messages = new BenchMessage(run.Size, run.Domains, Guid.NewGuid().ToString("N")[..12]);
            var load = await new LoadScenario(rig, run, messages).RunAsync(cancel);
            var nodeCpuMs = rig.Nodes.Sum(n => ProcessSample.Of(n.Id).Cpu.TotalMilliseconds) - cpuBefore;
            PostgresCost? cost = null;
            if (rig.Connection is { } connection)
            {
                await PostgresSample.SettleAsync(cancel);
                cost = (await PostgresSample.OfAsync(connection, rig.Postgres!.ProcessId)).PerMessage(pgBefore!, warmup + load.Accepted);
            }
            var senders = rig.Nodes.Select(n => n.Output.Count(l => l.Contains("status=sent", StringComparison.Ordinal))).ToList();
            rows.Add(new ScaleRow(shape.Name, shape.Nodes, shape.Storage, shape.Domains, shape.Split, shape.MxDelay.TotalMilliseconds, shape.Messages,
                load.AcceptedPerSecond, load.DeliveredPerSecond, load.LatencyP50Ms, load.LatencyP95Ms, load.Lost, load.Duplicated,
                Math.Round(nodeCpuMs / Math.Max(1, warmup + load.Accepted), 3), load.MachineBusyCores, load.OtherCpuSeconds, senders, cost, load)
            {
                IdleNodeCores = idleCores,
            });
            LoadScenario.Log($"{shape.Name}: {load.Summary()}");
            try { await rig.StopNodeAsync(); }
            catch (TimeoutException) { LoadScenario.Log("a node did not stop within a minute of SIGTERM; it is killed"); }
        }
        return new ScaleResult(rows, EnvelopeBytes(options.Size));
    }

    /// <summary>
    /// What crosses the cluster for a bench message: the NewMail a node tells the queue's node
    /// (Tunnel's JSON serializer), the same bytes the reference row keeps. Akka's remoting adds
    /// its envelope (sender and recipient paths, manifest) on top.
    /// </summary>
    public static int EnvelopeBytes(int size)
    {
        var domain = BenchRig.Domain(0);
        var mail = new NewMail(domain, MessageId.New(DateTimeOffset.UtcNow), new Envelope(new Mailbox("bench", "src.bench.test")),
            [new Recipient(new Mailbox("user0000000001", domain))], size, DateTimeOffset.UtcNow, Part: 1);
        return TunnelSerializer.Serialize(mail).Length;
    }
}

/// <summary>One shape of the scale scenario.</summary>
/// <param name="SentByNode">Mail-log "status=sent" lines of each node (warm-up included): where the mail left from.</param>
/// <param name="NodeCpuMsPerMessage">CPU of all nodes together per message (warm-up included).</param>
public sealed record ScaleRow(string Name, int Nodes, string Storage, int Domains, int Split, double MxDelayMs, int Messages,
    double AcceptedPerSecond, double? DeliveredPerSecond, double LatencyP50Ms, double LatencyP95Ms, int Lost, int Duplicated,
    double NodeCpuMsPerMessage, double MachineBusyCores, double? OtherCpuSeconds, IReadOnlyList<int> SentByNode, PostgresCost? Postgres, LoadResult Load)
{
    /// <summary>CPU cores the nodes used together without load in the 10 s after their start.</summary>
    public double IdleNodeCores { get; init; }
}

/// <param name="NewMailBytes">The serialized NewMail of one bench message: what a node tells another about it.</param>
public sealed record ScaleResult(IReadOnlyList<ScaleRow> Rows, int NewMailBytes)
{
    /// <summary>Delivered/s of the hot domain on 3 nodes split in 3 over 1 node with one queue; the issue's target is 2.5.</summary>
    public double? HotSpeedup =>
        Rows.FirstOrDefault(r => r.Name == "hot: 3 nodes, split 3")?.DeliveredPerSecond is { } three
        && Rows.FirstOrDefault(r => r.Name == "hot: 1 node, one queue")?.DeliveredPerSecond is { } one && one > 0
            ? Math.Round(three / one, 2) : null;

    public bool Failed => Rows.Any(r => r.Load.Failed || r.Duplicated > 0);

    public string Summary()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(string.Create(c, $"{"shape",-24} {"D",3} {"delay",6} {"M",6} {"accepted/s",10} {"delivered/s",11} {"p50 ms",7} {"p95 ms",7} {"cpu ms/msg",10} {"sent by node",-16} {"pg commits",10} {"pg rows",8} {"pg WAL B",9} {"pg cpu ms",9} {"lost",4} {"dup",3} {"idle cores",10} {"others",6}"));
        foreach (var r in Rows)
        {
            var pg = r.Postgres;
            text.AppendLine(string.Create(c,
                $"{r.Name,-24} {r.Domains,3} {r.MxDelayMs,4:0}ms {r.Messages,6} {r.AcceptedPerSecond,10:0} {(r.DeliveredPerSecond is { } d ? d.ToString("0", c) : "INCOMPLETE"),11} {r.LatencyP50Ms,7:0.0} {r.LatencyP95Ms,7:0.0} {r.NodeCpuMsPerMessage,10:0.00} {string.Join("/", r.SentByNode),-16} " +
                $"{(pg is null ? "-" : pg.Commits.ToString("0.00", c)),10} {(pg is null ? "-" : (pg.Inserted + pg.Updated + pg.Deleted).ToString("0.0", c)),8} {(pg is null ? "-" : pg.WalBytes.ToString("0", c)),9} {(pg is null ? "-" : pg.CpuMs.ToString("0.00", c)),9} {r.Lost,4} {r.Duplicated,3} {r.IdleNodeCores,10:0.00} {(r.OtherCpuSeconds is { } o && r.Load.EndToEndSeconds is { } w && w > 0 ? (o / w).ToString("0.00", c) : "-"),6}"));
        }
        text.AppendLine(string.Create(c, $"NewMail told across the cluster per message: {NewMailBytes} bytes (+ Akka's envelope)"));
        text.Append(HotSpeedup is { } s ? string.Create(c, $"hot domain: 3 nodes deliver {s:0.00}x what 1 node does (target 2.5x)") : "hot domain: no ratio (a run was incomplete)");
        return text.ToString();
    }
}
