using System.Globalization;

namespace Tunnel.Bench;

/// <summary>
/// What the kernel says about the node process: CPU time from <c>/proc/&lt;pid&gt;/stat</c>
/// (utime + stime, fields 14 and 15, in clock ticks) and memory from <c>/proc/&lt;pid&gt;/status</c>
/// (VmRSS now, VmHWM the peak since start). Linux only, like the node's deployment targets.
/// </summary>
public sealed record ProcessSample(TimeSpan Cpu, long RssBytes, long PeakRssBytes, int Threads)
{
    /// <summary>USER_HZ: 100 on every Linux we run on; `getconf CLK_TCK` prints it.</summary>
    private static readonly Lazy<long> TicksPerSecond = new(ReadTicksPerSecond);

    public static ProcessSample Of(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) is in parentheses and may contain spaces: count from after it.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        var cpu = TicksToTime(ticks);

        long rss = 0, hwm = 0;
        var threads = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kibibytes(line) * 1024;
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) hwm = Kibibytes(line) * 1024;
            else if (line.StartsWith("Threads:", StringComparison.Ordinal)) threads = (int)Kibibytes(line);
        }
        return new ProcessSample(cpu, rss, hwm, threads);
    }

    /// <summary>
    /// CPU time of a process and its children (PostgreSQL's postmaster and its backends): its own,
    /// the children it has already reaped (cutime + cstime, fields 16 and 17), and those alive now.
    /// </summary>
    public static TimeSpan TreeCpu(int pid)
    {
        long ticks = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var candidate)) continue;
            string stat;
            try { stat = File.ReadAllText(Path.Combine(dir, "stat")); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; } // gone meanwhile
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
            if (candidate != pid && parent != pid) continue;
            ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            if (candidate == pid) ticks += long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
        }
        return TicksToTime(ticks);
    }

    public static TimeSpan TicksToTime(long ticks) => TimeSpan.FromSeconds((double)ticks / TicksPerSecond.Value);

    // "VmRSS:	  212345 kB" → 212345
    private static long Kibibytes(string line) =>
        long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim().ToString().Split(' ')[0], CultureInfo.InvariantCulture);

    private static long ReadTicksPerSecond()
    {
        try
        {
            using var getconf = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("getconf", "CLK_TCK")
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
            })!;
            var text = getconf.StandardOutput.ReadToEnd().Trim();
            getconf.WaitForExit();
            return long.TryParse(text, out var hz) && hz > 0 ? hz : 100;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return 100; // no getconf: Linux's USER_HZ is 100 on every common architecture
        }
    }
}
