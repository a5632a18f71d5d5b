using System.Diagnostics;
using System.Net;

namespace Tunnel.Tests.Testing;

/// <summary>
/// A private Postfix instance (Debian's package) that a test or the bench owns: its own
/// config_directory, queue_directory, data_directory and maillog_file under a temporary
/// directory, no chroot, smtpd on the given loopback endpoints, started with
/// <c>postfix -c DIR start</c> and stopped at dispose (<c>postfix stop</c>, then its master's PID
/// is waited for and killed if need be). It never touches the machine's own Postfix. The caller
/// gives what makes it a sender or a relay (the rest of main.cf, and files such as maps).
/// Postfix needs root to start (its master drops to the postfix user); test.sh runs as root.
/// </summary>
public sealed class PrivatePostfix : IAsyncDisposable
{
    private const string Postfix = "/usr/sbin/postfix";

    private PrivatePostfix(string directory) => Directory = directory;

    public string Directory { get; }
    public string Config => Path.Combine(Directory, "etc");
    public string MailLogFile => Path.Combine(Directory, "maillog");
    public string MailLog => File.Exists(MailLogFile) ? File.ReadAllText(MailLogFile) : "";

    /// <param name="prefix">The temporary directory's name prefix.</param>
    /// <param name="listen">Where smtpd listens; the first is probed until it accepts.</param>
    /// <param name="mainCf">main.cf beyond the instance's own paths, given the instance's directory.</param>
    /// <param name="files">Further files for the config directory (maps), given the instance's directory, by name.</param>
    public static async Task<PrivatePostfix> StartAsync(string prefix, IReadOnlyList<IPEndPoint> listen, Func<string, string> mainCf,
        Func<string, IReadOnlyDictionary<string, string>>? files = null)
    {
        if (!OperatingSystem.IsLinux() || !File.Exists(Postfix))
            throw new InvalidOperationException("Postfix is not installed (Debian package postfix; test.sh installs it when missing)");
        var directory = System.IO.Directory.CreateTempSubdirectory(prefix).FullName;
        // Postfix's daemons run as the postfix user: they must reach the queue under the temp directory.
        File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
        foreach (var sub in new[] { "etc", "queue", "data" }) System.IO.Directory.CreateDirectory(Path.Combine(directory, sub));
        var postfix = new PrivatePostfix(directory);
        try
        {
            await File.WriteAllTextAsync(Path.Combine(postfix.Config, "main.cf"), $"""
                compatibility_level = 3.6
                queue_directory = {directory}/queue
                data_directory = {directory}/data
                mail_owner = postfix
                setgid_group = postdrop
                maillog_file = {directory}/maillog
                maillog_file_prefixes = {directory}
                alias_maps =
                alias_database =

                """ + mainCf(directory));
            await File.WriteAllTextAsync(Path.Combine(postfix.Config, "master.cf"), MasterCf(listen));
            foreach (var (name, text) in files?.Invoke(directory) ?? new Dictionary<string, string>())
                await File.WriteAllTextAsync(Path.Combine(postfix.Config, name), text);

            // The data directory (TLS session cache, master.lock) is written by the postfix user.
            var (owned, why) = await RunAsync("/bin/chown", "postfix", Path.Combine(directory, "data"));
            if (owned != 0) throw new InvalidOperationException($"chown postfix {directory}/data exited with {owned} (Postfix needs root here): {why}");
            var (code, output) = await RunAsync(Postfix, "-c", postfix.Config, "start");
            if (code != 0) throw new InvalidOperationException($"postfix -c {postfix.Config} start exited with {code}: {output}\n{postfix.MailLog}");
            await Eventually.Until(() => Accepting(listen[0]), TimeSpan.FromSeconds(30), $"Postfix to listen on {listen[0]}");
            return postfix;
        }
        catch
        {
            await postfix.DisposeAsync();
            throw;
        }
    }

    /// <summary>Debian's master.cf services that a sender or relay uses, without chroot (the queue is a temporary directory).</summary>
    private static string MasterCf(IEnumerable<IPEndPoint> listen) =>
        string.Concat(listen.Select(endpoint => $"{endpoint} inet n - n - - smtpd\n")) + """
            pickup    unix  n       -       n       60      1       pickup
            cleanup   unix  n       -       n       -       0       cleanup
            qmgr      unix  n       -       n       300     1       qmgr
            tlsmgr    unix  -       -       n       1000?   1       tlsmgr
            rewrite   unix  -       -       n       -       -       trivial-rewrite
            bounce    unix  -       -       n       -       0       bounce
            defer     unix  -       -       n       -       0       bounce
            trace     unix  -       -       n       -       0       bounce
            verify    unix  -       -       n       -       1       verify
            flush     unix  n       -       n       1000?   0       flush
            proxymap  unix  -       -       n       -       -       proxymap
            smtp      unix  -       -       n       -       -       smtp
            relay     unix  -       -       n       -       -       smtp
            showq     unix  n       -       n       -       -       showq
            error     unix  -       -       n       -       -       error
            retry     unix  -       -       n       -       -       error
            discard   unix  -       -       n       -       -       discard
            anvil     unix  -       -       n       -       1       anvil
            scache    unix  -       -       n       -       1       scache
            postlog   unix-dgram n  -       n       -       1       postlogd

            """;

    private static bool Accepting(IPEndPoint endpoint)
    {
        try
        {
            using var probe = new System.Net.Sockets.TcpClient(endpoint.AddressFamily);
            probe.Connect(endpoint);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// The master's PID, from the file it keeps locked (read by cat: .NET's own reads take a
    /// shared lock that Postfix's exclusive one refuses).
    /// </summary>
    public async Task<int?> MasterPidAsync()
    {
        var file = Path.Combine(Directory, "queue", "pid", "master.pid");
        if (!File.Exists(file)) return null;
        var (code, text) = await RunAsync("/bin/cat", file);
        return code == 0 && int.TryParse(text.Trim(), out var pid) ? pid : null;
    }

    public static async Task<(int Code, string Output)> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    public async ValueTask DisposeAsync()
    {
        int? master = null;
        try
        {
            master = await MasterPidAsync();
            await RunAsync(Postfix, "-c", Config, "stop");
        }
        catch (Exception) { /* killed below */ }
        if (master is { } pid)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try { await process.WaitForExitAsync(timeout.Token); }
                catch (OperationCanceledException) { process.Kill(entireProcessTree: true); }
            }
            catch (ArgumentException) { /* already gone */ }
        }
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { /* a temp directory */ }
    }
}
