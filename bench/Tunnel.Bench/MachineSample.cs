using System.Globalization;

namespace Tunnel.Bench;

/// <summary>
/// The whole machine's CPU time from the first line of <c>/proc/stat</c>, so that a run can say
/// how much of the machine went to processes other than the node and the bench (a build in
/// another shell spoils a measurement on 2 cores).
/// </summary>
public sealed record MachineSample(TimeSpan Busy, TimeSpan Total)
{
    public static MachineSample Now()
    {
        // cpu  user nice system idle iowait irq softirq steal guest guest_nice
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Skip(1).Take(8).Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var idle = fields[3] + fields[4];
        var total = fields.Sum();
        return new MachineSample(ProcessSample.TicksToTime(total - idle), ProcessSample.TicksToTime(total));
    }
}
