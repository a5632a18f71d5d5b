using System.Globalization;
using System.Net;

namespace Tunnel.Bench;

/// <summary>The command line of the load generator; see <see cref="Usage"/> and bench/README.md.</summary>
public sealed record BenchOptions
{
    public const string LoadScenario = "load";
    public const string OutageScenario = "outage";
    public const string FailoverScenario = "failover";
    public const string VersusScenario = "versus";
    public const string ScaleScenario = "scale";
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgresql";

    /// <summary>load (the throughput run), outage (issue 12: a destination down under load), failover (issue 12: SIGKILL of one of three nodes).</summary>
    public string Scenario { get; init; } = LoadScenario;
    /// <summary>outage: how long the clients send (default 4 minutes).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(4);
    /// <summary>failover: sending before the kill (default 90 s: a new 3-node cluster on 2 cores reaches its steady intake after ~45 s).</summary>
    public TimeSpan BeforeKill { get; init; } = TimeSpan.FromSeconds(90);
    /// <summary>failover: sending to the survivors after the kill (default 90 s).</summary>
    public TimeSpan AfterKill { get; init; } = TimeSpan.FromSeconds(90);
    public int Messages { get; init; } = 20_000;
    /// <summary>versus: the messages measured right after each relay starts (default 1,000).</summary>
    public int ColdMessages { get; init; } = 1_000;
    public int Size { get; init; } = 1024;
    public int Concurrency { get; init; } = 50;
    public int Domains { get; init; } = 10;
    public int PerConnection { get; init; } = 20;
    public int Warmup { get; init; } = 1_000;
    public int Idle { get; init; }
    public IReadOnlyList<IPEndPoint> Targets { get; init; } = [];
    public int? NodePid { get; init; }
    public int SinkPort { get; init; } = 2526;
    public int DnsPort { get; init; } = 5354;
    public bool PrintConfig { get; init; }
    /// <summary>Print where the end of data → 250 went, step by step, from the node's histograms.</summary>
    public bool Trace { get; init; }
    public bool Calibrate { get; init; }
    public string? Json { get; init; }
    public bool Build { get; init; }
    /// <summary>Run this tunnel.dll instead of src/Node's build output (e.g. a ReadyToRun publish).</summary>
    public string? NodeDll { get; init; }
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>The node's tunnel.smtp.greeting-delay (default 0s: off; production is 2s).</summary>
    public TimeSpan GreetingDelay { get; init; } = TimeSpan.Zero;
    /// <summary>The node's tunnel.smtp.greeting-pass-ttl; null: cluster.hocon's (1d).</summary>
    public TimeSpan? GreetingPassTtl { get; init; }
    /// <summary>Nodes in one cluster (default 1); more than one needs --storage postgresql.</summary>
    public int Nodes { get; init; } = 1;
    /// <summary>sqlite (default; one node) or postgresql (a private server the bench starts).</summary>
    public string Storage { get; init; } = Sqlite;
    /// <summary>The sink waits this long before its reply to each message's data, like a remote provider (default 0).</summary>
    public TimeSpan MxDelay { get; init; } = TimeSpan.Zero;
    /// <summary>Sub-queues per domain (tunnel.queue.split-default) in a cluster run (default 1).</summary>
    public int Split { get; init; } = 1;
    /// <summary>scale: only the hot-domain shapes.</summary>
    public bool HotOnly { get; init; }
    /// <summary>scale: messages of each hot-domain run.</summary>
    public int HotMessages { get; init; } = 1500;

    public bool OwnsNode => Targets.Count == 0 && !Calibrate && Scenario is not (FailoverScenario or VersusScenario or ScaleScenario);

    public const string Usage = """
        Usage: dotnet run -c Release --project bench/Tunnel.Bench -- [options]

        Load (default): M messages of S bytes over C concurrent SMTP connections (from 127.0.0.1 and
        ::1 alternately), P messages per connection, one recipient each, spread over D domains.
          --messages M         messages measured (default 20000)
          --size S             message size in bytes; suffixes KiB/MiB (default 1KiB)
          --concurrency C      concurrent client connections (default 50)
          --domains D          recipient domains d000.bench.test … (default 10)
          --per-connection P   messages per connection before QUIT and reconnect (default 20)
          --warmup W           messages sent and delivered before measuring, 0 for none (default 1000)
          --greeting-delay T   the node's tunnel.smtp.greeting-delay (default 0s: off; production: 2s)
          --greeting-pass-ttl T  the node's tunnel.smtp.greeting-pass-ttl, how long a client that waited
                               is greeted at once (default: cluster.hocon's 1d; 0s: every connection waits)
          --nodes N            N nodes in one cluster (default 1; more than one needs --storage postgresql)
          --storage S          sqlite (default) or postgresql: a private PostgreSQL server the bench starts
          --mx-delay T         the sink waits T before answering each message's data (default 0ms; e.g. 100ms)
          --split K            with postgresql: every domain split in K sub-queues (tunnel.queue.split-default)
        Scenario of issue 15 (see bench/README.md):
          --scenario scale     side by side, each on fresh nodes: 1 node SQLite, 1 node PostgreSQL and
                               3 nodes PostgreSQL at D=10 (M messages, default 3000); then one hot domain
                               with --mx-delay (default 100ms): 1 node (one queue), 1 node split 3, and
                               3 nodes split 3 (--hot-messages H each, default 1500); with PostgreSQL's
                               commits, rows and WAL bytes per message
          --hot-messages H     scale: messages of each hot-domain run (default 1500)
          --hot-only           scale: only the three hot-domain shapes
        Scenarios of issue 12 (each starts its own nodes; see bench/README.md):
          --scenario outage    one node (SQLite, production queue settings), one destination whose MX
                               refuses connections for the whole run, C connections (default 20) sending
                               S-byte mail to it: intake and RSS per minute, RSS per queued message, and
                               when the domain is attempted next after its first failure
          --duration T         outage: how long to send (default 4m; at least 2m)
          --scenario failover  three nodes on a private PostgreSQL, production split-brain settings,
                               C connections (default 12) over the three; one node SIGKILLed: intake per
                               5-s window after the kill, time until the dead node's mail is attempted
                               again, lost and duplicated messages
          --before-kill T      failover: sending before the kill (default 90s; the pre-kill rate is
                               that of its last third, at most 30 s)
          --after-kill T       failover: sending to the survivors after the kill (default 90s)
        Issue 16:
          --scenario versus    a private Postfix (Debian's package, as shipped; needs root) and then a
                               Tunnel node, each started fresh, the same clients and sink: each relay's
                               first --cold-messages (default 1000) with no warm-up, then --messages
                               (default here 15000); accepted and delivered/s, CPU per message, p99
          --cold-messages N    versus: messages measured right after each relay starts (default 1000)
                               (T: a number of seconds, or with a unit: 90s, 4m)
        Idle:
          --idle K             open K idle SMTP sessions (after EHLO), report the node's RSS per session
        Node:
          (default)            start src/Node/bin/Release/net10.0/tunnel.dll as a child process with
                               SQLite under a temporary folder; build it first (`dotnet build -c Release`)
          --build              run `dotnet build src/Node -c Release` first
          --node-dll PATH      run this tunnel.dll instead (e.g. `dotnet publish src/Node -c Release -r linux-x64
                               -p:PublishReadyToRun=true -o DIR`, then DIR/tunnel.dll)
          --target HOST:PORT   drive a running node instead (repeat for an IPv4 and an IPv6 listener);
                               it must relay d000…d(D-1).bench.test to the sink: see --print-config
          --node-pid PID       with --target: the node's process id, for CPU and RSS figures
          --sink-port P        with --target: port of the sink MX on ::1 (default 2526)
          --dns-port P         with --target: port of the bench DNS server on 127.0.0.1 (default 5354)
          --print-config       print the HOCON a --target node needs, and exit
          --calibrate          no node: the clients send straight to the sink MX, to show the bench's
                               own ceiling (use --per-connection 1 to open a connection per message,
                               as the node does)
        Output:
          --trace              also print each step from the end of the data to the 250 (the node's
                               tunnel_intake_step_seconds over the measured phase) and the spool
                               commits per 250 (needs the node's admin endpoint: a node the bench starts)
          --json FILE          results file (default bench/results/<UTC timestamp>.json)
          --stall-timeout SEC  give up when nothing was delivered for this long (default 60)
        """;

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchOptions();
        var targets = new List<IPEndPoint>();
        var concurrencyGiven = false;
        var messagesGiven = false;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value");
            concurrencyGiven |= name == "--concurrency";
            messagesGiven |= name == "--messages";
            options = name switch
            {
                "--messages" => options with { Messages = Positive(name, Value()) },
                "--cold-messages" => options with { ColdMessages = Positive(name, Value()) },
                "--size" => options with { Size = (int)Bytes(name, Value()) },
                "--concurrency" => options with { Concurrency = Positive(name, Value()) },
                "--scenario" => options with { Scenario = ScenarioName(name, Value()) },
                "--duration" => options with { Duration = ParseDuration(name, Value()) },
                "--before-kill" => options with { BeforeKill = ParseDuration(name, Value()) },
                "--after-kill" => options with { AfterKill = ParseDuration(name, Value()) },
                "--domains" => options with { Domains = Positive(name, Value()) },
                "--per-connection" => options with { PerConnection = Positive(name, Value()) },
                "--warmup" => options with { Warmup = NonNegative(name, Value()) },
                "--idle" => options with { Idle = Positive(name, Value()) },
                "--target" => Add(options, targets, Endpoint(name, Value())),
                "--node-pid" => options with { NodePid = Positive(name, Value()) },
                "--sink-port" => options with { SinkPort = Positive(name, Value()) },
                "--dns-port" => options with { DnsPort = Positive(name, Value()) },
                "--print-config" => options with { PrintConfig = true },
                "--trace" => options with { Trace = true },
                "--calibrate" => options with { Calibrate = true },
                "--json" => options with { Json = Value() },
                "--build" => options with { Build = true },
                "--node-dll" => options with { NodeDll = Path.GetFullPath(Value()) },
                "--stall-timeout" => options with { StallTimeout = TimeSpan.FromSeconds(Positive(name, Value())) },
                "--greeting-delay" => options with { GreetingDelay = ParseDuration(name, Value(), allowZero: true) },
                "--greeting-pass-ttl" => options with { GreetingPassTtl = ParseDuration(name, Value(), allowZero: true) },
                "--nodes" => options with { Nodes = Positive(name, Value()) },
                "--storage" => options with { Storage = StorageName(name, Value()) },
                "--mx-delay" => options with { MxDelay = ParseDuration(name, Value(), allowZero: true) },
                "--split" => options with { Split = Positive(name, Value()) },
                "--hot-messages" => options with { HotMessages = Positive(name, Value()) },
                "--hot-only" => options with { HotOnly = true },
                _ => throw new ArgumentException($"unknown option '{name}'"),
            };
        }
        if (options.Nodes > 1 && options.Storage != Postgres) throw new ArgumentException("--nodes: more than one node needs --storage postgresql");
        if (options.Split > 64) throw new ArgumentException("--split: 1 to 64");
        if (options.Split > 1 && options.Storage != Postgres) throw new ArgumentException("--split goes with --storage postgresql");
        if (options.Scenario == ScaleScenario)
        {
            if (!args.Contains("--mx-delay")) options = options with { MxDelay = TimeSpan.FromMilliseconds(100) };
            if (!args.Contains("--messages")) options = options with { Messages = 3000 };
            if (!args.Contains("--warmup")) options = options with { Warmup = 300 };
        }
        if (options.Scenario is not (LoadScenario or ScaleScenario))
        {
            if (options.Targets.Count > 0 || options.Calibrate || options.Idle > 0 || options.PrintConfig)
                throw new ArgumentException($"--scenario {options.Scenario} starts its own nodes: no --target, --calibrate, --idle or --print-config");
            if (!concurrencyGiven && options.Scenario != VersusScenario) options = options with { Concurrency = options.Scenario == OutageScenario ? 20 : 12 };
            if (!messagesGiven && options.Scenario == VersusScenario) options = options with { Messages = 15_000 };
            if (options.Scenario == OutageScenario && options.Duration < TimeSpan.FromMinutes(2))
                throw new ArgumentException("--duration: at least 2m (the figures compare the first and the last whole minute)");
            if (options.Scenario == FailoverScenario && options.BeforeKill < TimeSpan.FromSeconds(15))
                throw new ArgumentException("--before-kill: at least 15s (the pre-kill rate is measured over its last third)");
            if (options.Scenario == FailoverScenario && options.AfterKill < TimeSpan.FromSeconds(5))
                throw new ArgumentException("--after-kill: at least 5s (one window)");
        }
        if (options.Domains > 1000) throw new ArgumentException("--domains: at most 1000");
        if (options.Size < 512) throw new ArgumentException("--size: at least 512 bytes (the headers take about 300)");
        // Every idle session is a socket in this process and in the node (ulimit -n each).
        if (options.Idle > 18_000) throw new ArgumentException("--idle: at most 18000 (file descriptors)");
        if (options.NodePid is not null && options.Targets.Count == 0) throw new ArgumentException("--node-pid goes with --target");
        if (options.Calibrate && options.Targets.Count > 0) throw new ArgumentException("--calibrate drives the sink, not a --target");
        return options;

        static BenchOptions Add(BenchOptions options, List<IPEndPoint> targets, IPEndPoint target)
        {
            targets.Add(target);
            return options with { Targets = targets.ToList() };
        }
    }

    /// <summary>"1KiB" → 1024, "100KiB" → 102400, "2MiB", or a plain number of bytes.</summary>
    public static long Bytes(string name, string text)
    {
        var (number, unit) = text.EndsWith("KiB", StringComparison.OrdinalIgnoreCase) ? (text[..^3], 1024L)
            : text.EndsWith("MiB", StringComparison.OrdinalIgnoreCase) ? (text[..^3], 1024L * 1024)
            : (text, 1L);
        return long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 && n * unit <= 32 * 1024 * 1024
            ? n * unit
            : throw new ArgumentException($"{name}: '{text}' is not a size between 1 byte and 32MiB");
    }

    public static string FormatSize(long bytes) =>
        bytes % (1024 * 1024) == 0 ? $"{bytes / (1024 * 1024)}MiB" : bytes % 1024 == 0 ? $"{bytes / 1024}KiB" : $"{bytes}B";

    private static string ScenarioName(string name, string text) =>
        text is LoadScenario or OutageScenario or FailoverScenario or VersusScenario or ScaleScenario
            ? text : throw new ArgumentException($"{name}: '{text}' is not one of {LoadScenario}, {OutageScenario}, {FailoverScenario}, {VersusScenario}, {ScaleScenario}");

    private static string StorageName(string name, string text) =>
        text is Sqlite or Postgres ? text : throw new ArgumentException($"{name}: '{text}' is not {Sqlite} or {Postgres}");

    /// <summary>"90" or "90s" → 90 seconds, "4m" → 4 minutes, "1h", "100ms"; "0s" only with <paramref name="allowZero"/>.</summary>
    public static TimeSpan ParseDuration(string name, string text, bool allowZero = false)
    {
        if (text.EndsWith("ms", StringComparison.Ordinal))
            return int.TryParse(text[..^2], NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && (ms > 0 || allowZero) && ms <= 3_600_000
                ? TimeSpan.FromMilliseconds(ms)
                : throw new ArgumentException($"{name}: '{text}' is not a duration such as 100ms, 90s or 4m");
        var (number, unit) = text.EndsWith('s') ? (text[..^1], 1) : text.EndsWith('m') ? (text[..^1], 60) : text.EndsWith('h') ? (text[..^1], 3600) : (text, 1);
        return int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && (n > 0 || allowZero) && (long)n * unit <= 24 * 3600
            ? TimeSpan.FromSeconds((long)n * unit)
            : throw new ArgumentException($"{name}: '{text}' is not a duration such as 90s, 4m or 1h");
    }

    private static int Positive(string name, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n : throw new ArgumentException($"{name}: '{text}' is not a positive whole number");

    private static int NonNegative(string name, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n : throw new ArgumentException($"{name}: '{text}' is not a whole number");

    private static IPEndPoint Endpoint(string name, string text) =>
        IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port != 0
            ? endpoint : throw new ArgumentException($"{name}: '{text}' is not address:port (IPv6 as [::1]:2525)");
}
