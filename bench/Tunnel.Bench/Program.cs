using Tunnel.Bench;

// tunnel-bench: load and idle-session benchmarks of a real Tunnel node (issue 7), and the outage and
// failover scenarios of issue 12, and the scale scenario of issue 15. See bench/README.md.
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}
BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"tunnel-bench: {e.Message}\n\n{BenchOptions.Usage}");
    return 64; // EX_USAGE
}
if (options.PrintConfig)
{
    Console.WriteLine(BenchRig.NodeHocon(options.Domains, $"127.0.0.1:{options.DnsPort}", options.SinkPort,
        "\"127.0.0.1:2525\", \"[::1]:2525\"", dataPath: null, greetingDelay: options.GreetingDelay, greetingPassTtl: options.GreetingPassTtl));
    return 0;
}
#if DEBUG
Console.Error.WriteLine("tunnel-bench: this is a Debug build; run it with -c Release (it measures the Release node).");
return 64;
#else
if (options.NodeDll is { } nodeDll)
{
    if (!File.Exists(nodeDll))
    {
        Console.Error.WriteLine($"tunnel-bench: --node-dll {nodeDll}: no such file");
        return 66; // EX_NOINPUT
    }
    Environment.SetEnvironmentVariable("TUNNEL_NODE_DLL", nodeDll); // NodeProcess starts this build
}
else if (options.OwnsNode || options.Scenario is BenchOptions.FailoverScenario or BenchOptions.VersusScenario or BenchOptions.ScaleScenario)
{
    if (options.Build) await BenchRig.BuildNodeAsync();
    else if (!File.Exists(BenchRig.NodeExecutable()))
    {
        Console.Error.WriteLine($"tunnel-bench: {BenchRig.NodeExecutable()} is missing: run `dotnet build -c Release` first, or pass --build.");
        return 66; // EX_NOINPUT
    }
}

var started = DateTimeOffset.UtcNow;
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
if (options.Scenario == BenchOptions.FailoverScenario)
{
    var failover = await FailoverScenario.RunAsync(options, cancel.Token);
    return Finish(failover, failover.Summary(), failover.Failed);
}
if (options.Scenario == BenchOptions.VersusScenario)
{
    var versus = await VersusScenario.RunAsync(options, cancel.Token);
    return Finish(versus, versus.Summary(), versus.Failed);
}
if (options.Scenario == BenchOptions.ScaleScenario)
{
    var scale = await new ScaleScenario(options).RunAsync(cancel.Token);
    return Finish(scale, scale.Summary(), scale.Failed);
}
await using var rig = await BenchRig.StartAsync(options);

bool failed;
object result;
string summary;
if (options.Scenario == BenchOptions.OutageScenario)
{
    var messages = new BenchMessage(options.Size, domains: 1, Guid.NewGuid().ToString("N")[..12]);
    var outage = await new OutageScenario(rig, options, messages).RunAsync(cancel.Token);
    (result, summary, failed) = (outage, outage.Summary(), outage.Failed);
}
else if (options.Idle > 0)
{
    var idle = await new IdleScenario(rig, options).RunAsync(cancel.Token);
    (result, summary, failed) = (idle, idle.Summary(), idle.Incomplete);
}
else
{
    var messages = new BenchMessage(options.Size, options.Domains, Guid.NewGuid().ToString("N")[..12]);
    var pgBefore = rig.Connection is { } db ? await PostgresSample.OfAsync(db, rig.Postgres!.ProcessId) : null;
    var load = await new LoadScenario(rig, options, messages).RunAsync(cancel.Token);
    (result, summary, failed) = (load, load.Summary(), load.Failed);
    if (rig.Connection is { } connection)
    {
        // PostgreSQL's work per message, warm-up included (every message stored, delivered and removed in the window).
        await PostgresSample.SettleAsync(cancel.Token);
        var cost = (await PostgresSample.OfAsync(connection, rig.Postgres!.ProcessId)).PerMessage(pgBefore!, options.Warmup + load.Accepted);
        result = new LoadOnPostgres(load, cost);
        summary += string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"\npostgresql per message: {cost.Commits:0.00} commits, {cost.Inserted:0.0} inserted, {cost.Updated:0.0} updated, {cost.Deleted:0.0} deleted rows, {cost.WalBytes:0} WAL bytes, {cost.TableBytes:0} bytes of table growth, {cost.CpuMs:0.00} ms of server CPU");
    }
    foreach (var problem in load.Problems.Take(5)) LoadScenario.Log($"problem: {problem}");
}

if (rig.Node is not null)
{
    try
    {
        var exit = await rig.StopNodeAsync();
        if (exit != 0) LoadScenario.Log($"the node exited with {exit} on SIGTERM");
    }
    catch (TimeoutException)
    {
        LoadScenario.Log("the node did not stop within a minute of SIGTERM; it is killed"); // by the rig's disposal
    }
}
return Finish(result, summary, failed);

// The results file, the summary on standard output, and the exit code: 1 when the run failed.
int Finish(object outcome, string text, bool hasFailed)
{
    var file = ResultsFile.Write(options, args, outcome, started);
    Console.WriteLine(text);
    LoadScenario.Log($"results: {file}");
    return hasFailed ? 1 : 0;
}
#endif
