using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Tunnel.Tests.Testing;

/// <summary>
/// A private PostgreSQL server for tests: its own data directory under /tmp, its own loopback
/// port, started and stopped by the test (never the machine's server). The binaries come from
/// Debian's postgresql package, which ./test.sh installs when missing. PostgreSQL refuses to run
/// as root, so under root (CI) it runs as the package's "postgres" user.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);
    private readonly string _bin;
    private readonly string _directory;
    private bool _running;

    private PostgresServer(string bin, string directory, int port)
    {
        _bin = bin;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }
    private string DataDirectory => Path.Combine(_directory, "data");

    /// <summary>The server's main process (postmaster.pid's first line) while it runs, e.g. for its CPU time; null when stopped.</summary>
    public int? ProcessId
    {
        get
        {
            var file = Path.Combine(DataDirectory, "postmaster.pid");
            try { return _running && File.Exists(file) && int.TryParse(File.ReadLines(file).First(), out var pid) ? pid : null; }
            catch (IOException) { return null; }
        }
    }

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Database={database};Username=tunnel;Pooling=true;Timeout=5;Command Timeout=30";

    public static async Task<PostgresServer> StartAsync()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "pg_ctl"))).OrderByDescending(d => d).FirstOrDefault()
            : null;
        if (bin is null)
            throw new InvalidOperationException("PostgreSQL server binaries not found under /usr/lib/postgresql: run ./test.sh, which installs Debian's postgresql package");
        var directory = Directory.CreateTempSubdirectory("tunnel-pg-").FullName;
        if (IsRoot) await RunAsync("chown", ["postgres:postgres", directory]);
        var server = new PostgresServer(bin, directory, FreePorts.Next());
        await server.RunPgAsync("initdb", ["-D", server.DataDirectory, "-U", "tunnel", "--auth=trust", "-E", "UTF8", "--no-instructions"]);
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts the (stopped) server again on the same port and data: the database comes back.</summary>
    public async Task StartAgainAsync()
    {
        await RunPgAsync("pg_ctl", ["-D", DataDirectory, "-l", Path.Combine(_directory, "server.log"), "-w", "-t", "60",
            "-o", $"-c listen_addresses=127.0.0.1 -p {Port} -k {_directory} -c max_connections=300", "start"]);
        _running = true;
    }

    /// <summary>Stops the server (fast shutdown: sessions are cut, like a database going away).</summary>
    public async Task StopAsync()
    {
        if (!_running) return;
        await RunPgAsync("pg_ctl", ["-D", DataDirectory, "-w", "-t", "60", "-m", "fast", "stop"]);
        _running = false;
    }

    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public async ValueTask DisposeAsync()
    {
        try { await StopAsync(); }
        finally
        {
            try { Directory.Delete(_directory, recursive: true); }
            catch (IOException) { /* temp directory */ }
            catch (UnauthorizedAccessException) { /* temp directory */ }
        }
    }

    private static bool IsRoot => Environment.UserName == "root";

    private Task RunPgAsync(string tool, string[] arguments)
    {
        var path = Path.Combine(_bin, tool);
        return IsRoot ? RunAsync("runuser", ["-u", "postgres", "--", path, .. arguments]) : RunAsync(path, arguments);
    }

    private static async Task RunAsync(string file, string[] arguments)
    {
        var info = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(CommandTimeout);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{await output}\n{await error}");
    }
}
