namespace Tunnel.Bench;

/// <summary>
/// Where the machine's CPU went between two moments: the node, the bench itself (clients, sink
/// MX, DNS), and everything else. On a 2-core machine the bench shares the cores with the node,
/// so its own share is reported beside the node's, and "other" says whether the run was disturbed.
/// </summary>
public sealed class CpuWindow
{
    private readonly int? _nodePid;
    private readonly bool _noNode;
    private readonly bool _tree;
    private readonly TimeSpan _treeCpu;
    private readonly ProcessSample? _node;
    private readonly ProcessSample _bench;
    private readonly MachineSample _machine;

    private CpuWindow(int? nodePid, bool noNode, bool tree)
    {
        _nodePid = nodePid;
        _noNode = noNode;
        _tree = tree;
        _node = nodePid is { } pid ? ProcessSample.Of(pid) : null;
        _treeCpu = tree && nodePid is { } parent ? ProcessSample.TreeCpu(parent) : TimeSpan.Zero;
        _bench = ProcessSample.Of(Environment.ProcessId);
        _machine = MachineSample.Now();
    }

    /// <param name="nodePid">The node's process, if known.</param>
    /// <param name="noNode">True when there is no node at all (--calibrate), so "other" can still be told.</param>
    /// <param name="tree">Count the process's children too (Postfix's master and its daemons).</param>
    public static CpuWindow Start(int? nodePid, bool noNode = false, bool tree = false) => new(nodePid, noNode, tree);

    public ProcessSample? NodeAtStart => _node;

    public CpuAccount Stop()
    {
        var node = _nodePid is { } pid ? ProcessSample.Of(pid) : null;
        var bench = ProcessSample.Of(Environment.ProcessId);
        var machine = MachineSample.Now();
        double? nodeSeconds = node is null || _node is null ? null
            : _tree ? (ProcessSample.TreeCpu(_nodePid!.Value) - _treeCpu).TotalSeconds
            : (node.Cpu - _node.Cpu).TotalSeconds;
        var benchSeconds = (bench.Cpu - _bench.Cpu).TotalSeconds;
        var busy = (machine.Busy - _machine.Busy).TotalSeconds;
        var total = (machine.Total - _machine.Total).TotalSeconds;
        return new CpuAccount(node, nodeSeconds, benchSeconds, busy, total,
            nodeSeconds is null && !_noNode ? null : Math.Max(0, busy - benchSeconds - (nodeSeconds ?? 0)));
    }
}

/// <param name="Node">The node's /proc figures at the end of the window.</param>
/// <param name="MachineSeconds">CPU time of all cores together over the window (busy or idle).</param>
/// <param name="OtherSeconds">Busy time of neither the node nor the bench (kernel threads, other users' builds).</param>
public sealed record CpuAccount(ProcessSample? Node, double? NodeSeconds, double BenchSeconds, double MachineBusySeconds,
    double MachineSeconds, double? OtherSeconds);
