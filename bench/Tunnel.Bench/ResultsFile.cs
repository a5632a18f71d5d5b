using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tunnel.Bench;

/// <summary>
/// Writes a run's figures as JSON (bench/results/&lt;UTC timestamp&gt;.json unless --json names a
/// file), with what is needed to compare runs: the date, the command line, the commit and the machine.
/// </summary>
public static class ResultsFile
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.KebabCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static string Write(BenchOptions options, IReadOnlyList<string> args, object result, DateTimeOffset started)
    {
        var path = options.Json ?? Path.Combine(BenchRig.RepositoryRoot(), "bench", "results",
            $"{started.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var document = new Dictionary<string, object?>
        {
            ["date"] = started.ToString("O"),
            ["command"] = "dotnet run -c Release --project bench/Tunnel.Bench -- " + string.Join(' ', args),
            ["commit"] = Commit(),
            ["machine"] = new Dictionary<string, object?>
            {
                ["cores"] = Environment.ProcessorCount,
                ["cpu"] = CpuModel(),
                ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
                ["runtime"] = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
            },
            ["node"] = options.Scenario == BenchOptions.FailoverScenario ? "three child processes (Release build) on a private PostgreSQL"
                : options.Scenario == BenchOptions.VersusScenario ? "a private Postfix, then a child process (Release build, SQLite in a temporary folder)"
                : options.Scenario == BenchOptions.ScaleScenario ? "fresh child processes (Release build) per shape: SQLite, or a private PostgreSQL"
                : options.Nodes > 1 || options.Storage == BenchOptions.Postgres ? $"{options.Nodes} child process(es) (Release build) on a private PostgreSQL"
                : options.Calibrate ? "none (--calibrate: clients to the sink)"
                : options.OwnsNode ? "child process (Release build, SQLite in a temporary folder)" : "--target",
            ["result"] = result,
        };
        File.WriteAllText(path, JsonSerializer.Serialize(document, Json) + "\n");
        return path;
    }

    private static string? Commit()
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", ["-C", BenchRig.RepositoryRoot(), "rev-parse", "--short", "HEAD"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            var text = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 ? text : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no git
        }
    }

    private static string? CpuModel() =>
        File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
}
