using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tunnel.Bench;

/// <summary>
/// A private Postfix instance (Debian's package, as shipped: queue files fsynced before 250) used as
/// the reference relay of <c>--scenario versus</c>: its own configuration, queue and data folders
/// under a temporary folder, smtpd on 127.0.0.1 and ::1 at a free port, every bench domain relayed
/// to the sink MX (<c>relayhost = [::1]:port</c>), no DNS and no peer-name lookups. Started with
/// <c>postfix -c DIR start</c> (root only, as Postfix's master must be) and stopped with
/// <c>postfix -c DIR stop</c>; nothing of the machine's own Postfix is touched.
/// </summary>
public sealed class PostfixRelay : IAsyncDisposable
{
    private const string Postfix = "/usr/sbin/postfix";
    private readonly string _directory;

    private PostfixRelay(string directory, int port, int masterPid)
    {
        _directory = directory;
        MasterPid = masterPid;
        Smtp = [new IPEndPoint(IPAddress.Loopback, port), new IPEndPoint(IPAddress.IPv6Loopback, port)];
    }

    public IReadOnlyList<IPEndPoint> Smtp { get; }

    /// <summary>Postfix's master: its CPU and that of every daemon it ran (see <see cref="ProcessSample.TreeCpu"/>).</summary>
    public int MasterPid { get; }

    public string MailLog => Path.Combine(_directory, "maillog");

    public static async Task<PostfixRelay> StartAsync(int sinkPort)
    {
        if (!File.Exists(Postfix))
            throw new InvalidOperationException($"{Postfix} is missing: install Debian's postfix package (apt-get install postfix) for --scenario versus");
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("--scenario versus runs on Linux");
        if (Environment.UserName != "root")
            throw new InvalidOperationException("--scenario versus starts a private Postfix, whose master must run as root");

        var directory = Directory.CreateTempSubdirectory("tunnel-bench-postfix-").FullName;
        // Postfix's daemons run as user postfix and must reach their queue and data folders.
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var etc = Directory.CreateDirectory(Path.Combine(directory, "etc")).FullName;
        var data = Directory.CreateDirectory(Path.Combine(directory, "data")).FullName;
        Directory.CreateDirectory(Path.Combine(directory, "spool"));
        await RunAsync("chown", "postfix", data);

        var port = FreePort();
        await File.WriteAllTextAsync(Path.Combine(etc, "main.cf"), MainCf(directory, sinkPort));
        await File.WriteAllTextAsync(Path.Combine(etc, "master.cf"), MasterCf(port));
        await RunAsync(Postfix, "-c", etc, "start");

        var pidFile = Path.Combine(directory, "spool", "pid", "master.pid");
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (ReadPid(pidFile) is { } pid && await AcceptsAsync(port)) return new PostfixRelay(directory, port, pid);
            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                var log = File.Exists(Path.Combine(directory, "maillog")) ? await File.ReadAllTextAsync(Path.Combine(directory, "maillog")) : "";
                await new PostfixRelay(directory, port, 0).DisposeAsync();
                throw new InvalidOperationException($"the private Postfix did not listen on port {port} within 30 s; its log:\n{log}");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>Debian's defaults, plus what makes a plain relay to the sink; durability is left as shipped.</summary>
    private static string MainCf(string directory, int sinkPort) => $"""
        compatibility_level = 3.6
        queue_directory = {directory}/spool
        data_directory = {directory}/data
        maillog_file = {directory}/maillog
        maillog_file_prefixes = {directory}
        mail_owner = postfix
        setgid_group = postdrop
        myhostname = postfix.bench.test
        mydestination =
        inet_protocols = all
        mynetworks = 127.0.0.0/8 [::1]/128
        relay_domains = bench.test, .bench.test
        relayhost = [::1]:{sinkPort}
        smtpd_peername_lookup = no
        alias_maps =
        alias_database =
        """;

    /// <summary>Debian's master.cf services that a relay uses, without chroot (the queue is a temporary folder).</summary>
    private static string MasterCf(int port) => $"""
        127.0.0.1:{port} inet n - n - - smtpd
        [::1]:{port} inet n - n - - smtpd
        pickup    unix  n       -       n       60      1       pickup
        cleanup   unix  n       -       n       -       0       cleanup
        qmgr      unix  n       -       n       300     1       qmgr
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

    public async ValueTask DisposeAsync()
    {
        try { await RunAsync(Postfix, "-c", Path.Combine(_directory, "etc"), "stop"); }
        catch (InvalidOperationException e) { LoadScenario.Log($"stopping the private Postfix: {e.Message}"); }
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { /* a temporary folder */ }
    }

    /// <summary>
    /// master.pid, which Postfix's master holds locked. .NET asks for a lock of its own when it opens
    /// a file (and would fail here), so the first line is read by `head`.
    /// </summary>
    private static int? ReadPid(string path)
    {
        if (!File.Exists(path)) return null;
        using var head = Process.Start(new ProcessStartInfo("head", ["-n", "1", path])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var text = head.StandardOutput.ReadToEnd();
        head.WaitForExit();
        return int.TryParse(text.Trim(), out var pid) ? pid : null;
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(2));
            return true;
        }
        catch (Exception e) when (e is SocketException or TimeoutException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments)
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        var output = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}: {(await output).Trim()}");
    }
}
