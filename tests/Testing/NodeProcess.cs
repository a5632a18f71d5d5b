using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Tunnel.Tests.Testing;

/// <summary>
/// The real `tunnel` executable as a child process, for what only a process can show: SIGKILL
/// in the middle of work, a restart from what is on disk, exit codes. Its output is kept line by
/// line; the bound SMTP endpoints are read from its start-up log.
/// </summary>
public sealed partial class NodeProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);
    private readonly Process _process;
    private readonly object _gate = new();
    private readonly List<string> _output = [];

    private NodeProcess(Process process) => _process = process;

    public IReadOnlyList<IPEndPoint> SmtpEndpoints { get; private set; } = [];

    /// <summary>The admin endpoint as --node takes it, from the start-up line "Admin endpoint listening on http://…"; null when off.</summary>
    public string? Admin { get; private set; }

    public IReadOnlyList<string> Output
    {
        get { lock (_gate) return _output.ToArray(); }
    }

    public int Id => _process.Id;

    /// <summary>True once the process has ended (crashed, killed, or exited after leaving).</summary>
    public bool HasExited => _process.HasExited;

    public static async Task<NodeProcess> StartAsync(string configFile)
    {
        var node = Launch(configFile);
        var process = node._process;

        await Eventually.Until(() => node.Output.Any(l => l.Contains("SMTP listening on")) || process.HasExited,
            StartTimeout, "the tunnel process to start listening");
        if (process.HasExited)
            throw new InvalidOperationException($"tunnel exited with {process.ExitCode}:\n{string.Join("\n", node.Output)}");
        var line = node.Output.First(l => l.Contains("SMTP listening on"));
        node.SmtpEndpoints = EndpointPattern().Matches(line[line.IndexOf("SMTP listening on", StringComparison.Ordinal)..])
            .Select(m => IPEndPoint.Parse(m.Value)).ToList();
        if (node.Output.FirstOrDefault(l => l.Contains("Admin endpoint listening on http://")) is { } admin)
            node.Admin = EndpointPattern().Match(admin[admin.IndexOf("http://", StringComparison.Ordinal)..]).Value;
        return node;
    }

    /// <summary>
    /// Starts the process and returns as soon as its admin endpoint is up, before it has joined a
    /// cluster (for readiness tests); <see cref="SmtpEndpoints"/> stays empty.
    /// </summary>
    public static async Task<NodeProcess> StartUntilAdminAsync(string configFile)
    {
        var node = Launch(configFile);
        await Eventually.Until(() => node.Output.Any(l => l.Contains("Admin endpoint listening on http://")) || node._process.HasExited,
            StartTimeout, "the tunnel process to start its admin endpoint");
        if (node._process.HasExited)
            throw new InvalidOperationException($"tunnel exited with {node._process.ExitCode}:\n{string.Join("\n", node.Output)}");
        var line = node.Output.First(l => l.Contains("Admin endpoint listening on http://"));
        node.Admin = EndpointPattern().Match(line[line.IndexOf("http://", StringComparison.Ordinal)..]).Value;
        return node;
    }

    /// <summary>Runs `tunnel &lt;arguments&gt;` (a CLI command) to its end; its exit code and output.</summary>
    public static async Task<(int Code, string Output, string Error)> RunCliAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet", ["exec", ExecutablePath(), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        return (process.ExitCode, await output, await error);
    }

    private static NodeProcess Launch(string configFile)
    {
        var info = new ProcessStartInfo("dotnet", ["exec", ExecutablePath(), "run", "--config", configFile])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var node = new NodeProcess(process);
        process.OutputDataReceived += (_, e) => node.Add(e.Data);
        process.ErrorDataReceived += (_, e) => node.Add(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    /// <summary>
    /// The node's own build output (src/Node/bin/&lt;configuration&gt;/net10.0/tunnel.dll), built
    /// with the tests through the project reference. The copy in the test output directory is
    /// not used: it resolves its dependencies against the test project's, not its own.
    /// TUNNEL_NODE_DLL names another build instead (bench --node-dll: a published, ReadyToRun node).
    /// </summary>
    private static string ExecutablePath()
    {
        if (Environment.GetEnvironmentVariable("TUNNEL_NODE_DLL") is { Length: > 0 } other)
            return File.Exists(other) ? Path.GetFullPath(other) : throw new FileNotFoundException("TUNNEL_NODE_DLL names no file", other);
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory); // tests/bin/<configuration>/<tfm>/
        var configuration = testOutput.Parent!.Name;
        var framework = testOutput.Name;
        var root = testOutput;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Tunnel.sln"))) root = root.Parent;
        if (root is null) throw new InvalidOperationException($"no Tunnel.sln above {AppContext.BaseDirectory}");
        var path = Path.Combine(root.FullName, "src", "Node", "bin", configuration, framework, "tunnel.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("build the solution first", path);
    }

    /// <summary>SIGKILL: no shutdown code runs, exactly like a crash or the OOM killer.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Waits for the process to end by itself (e.g. after `tunnel cluster leave`); returns the exit code.</summary>
    public async Task<int> ExitedAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    /// <summary>SIGTERM, as systemd or an operator sends it; returns the exit code.</summary>
    public async Task<int> TerminateAsync()
    {
        if (Kill(_process.Id, 15) != 0) throw new InvalidOperationException($"kill -TERM {_process.Id} failed");
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) await KillAsync();
        _process.Dispose();
    }

    private void Add(string? line)
    {
        if (line is null) return;
        lock (_gate) _output.Add(line);
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [GeneratedRegex(@"(\[[0-9a-fA-F:]+\]|\d+\.\d+\.\d+\.\d+):\d+")]
    private static partial Regex EndpointPattern();
}
