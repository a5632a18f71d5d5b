using System.Diagnostics;
using System.Net;

namespace Tunnel.Tests.Testing;

/// <summary>
/// A real Postfix (Debian's package) as an IPv4-only sender that verifies TLS, run as a private
/// instance the test owns: its own config_directory, queue_directory and maillog_file under a
/// temporary directory, no chroot, listening for submissions on a loopback port, started with
/// <c>postfix -c DIR start</c> and stopped (by the PID its master wrote) at dispose. It never
/// touches the machine's Postfix, /etc/hosts or resolv.conf.
/// <para>
/// How it finds the tunnel without DNS: Postfix resolves with the system resolver, which the
/// test must not change, so a transport map sends <c>example.com</c> to <c>[127.0.0.1]:port</c>,
/// and smtp_tls_policy_maps makes that next hop <c>verify match=mx1.example.com</c>: the
/// certificate is checked against the MX host name exactly as for an MX lookup
/// (smtp_tls_verify_cert_match = hostname), with SNI mx1.example.com (smtp_tls_servername,
/// Postfix 3.4+), against the test's CA only (smtp_tls_CAfile).
/// </para>
/// Postfix needs root to start (its master drops to the postfix user); test.sh runs as root.
/// </summary>
public sealed class PostfixSender : IAsyncDisposable
{
    private readonly string _directory;
    private readonly string _config;

    private PostfixSender(string directory, IPEndPoint submission)
    {
        _directory = directory;
        _config = Path.Combine(directory, "etc");
        Submission = submission;
    }

    /// <summary>Where the test hands it mail (SMTP, from 127.0.0.0/8: relayed).</summary>
    public IPEndPoint Submission { get; }

    public string MailLogFile => Path.Combine(_directory, "maillog");

    public string MailLog => File.Exists(MailLogFile) ? File.ReadAllText(MailLogFile) : "";

    /// <param name="nextHop">The tunnel node (IPv4) that mail for <paramref name="domain"/> goes to.</param>
    /// <param name="mxHost">The name the tunnel stands in for: SNI, and what the certificate must match.</param>
    public static async Task<PostfixSender> StartAsync(IPEndPoint nextHop, string domain, string mxHost, string caFile)
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/usr/sbin/postfix"))
            throw new InvalidOperationException("Postfix is not installed (Debian package postfix; test.sh installs it when missing)");
        var directory = Directory.CreateTempSubdirectory("tunnel-postfix-").FullName;
        // Postfix's daemons run as the postfix user: they must reach the queue under the temp directory.
        File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
        foreach (var sub in new[] { "etc", "queue", "data" }) Directory.CreateDirectory(Path.Combine(directory, sub));
        var submission = new IPEndPoint(IPAddress.Loopback, FreePorts.Next());
        var sender = new PostfixSender(directory, submission);
        var hop = $"[{nextHop.Address}]:{nextHop.Port}";
        var ca = Path.Combine(sender._config, "ca.pem"); // a copy its daemons can read, whatever the test's directory allows
        File.Copy(caFile, ca);
        await File.WriteAllTextAsync(Path.Combine(sender._config, "main.cf"), $"""
            compatibility_level = 3.6
            queue_directory = {directory}/queue
            data_directory = {directory}/data
            mail_owner = postfix
            setgid_group = postdrop
            myhostname = postfix.ip4only.example
            mydomain = ip4only.example
            myorigin = $myhostname
            mydestination =
            alias_maps =
            alias_database =
            local_transport = error:no local delivery here
            inet_interfaces = 127.0.0.1
            inet_protocols = ipv4
            mynetworks = 127.0.0.0/8
            smtpd_relay_restrictions = permit_mynetworks, reject
            maillog_file = {directory}/maillog
            maillog_file_prefixes = {directory}
            transport_maps = texthash:{directory}/etc/transport
            smtp_tls_security_level = verify
            smtp_tls_verify_cert_match = hostname
            smtp_tls_CAfile = {ca}
            smtp_tls_policy_maps = texthash:{directory}/etc/tls_policy
            smtp_tls_servername = {mxHost}
            smtp_tls_loglevel = 1
            smtp_connect_timeout = 10s
            """);
        await File.WriteAllTextAsync(Path.Combine(sender._config, "transport"), $"{domain} smtp:{hop}\n");
        await File.WriteAllTextAsync(Path.Combine(sender._config, "tls_policy"), $"{hop} verify match={mxHost}\n");
        await File.WriteAllTextAsync(Path.Combine(sender._config, "master.cf"), $"""
            {submission} inet n - n - - smtpd
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

            """);
        try
        {
            // The data directory (TLS session cache, master.lock) is written by the postfix user.
            var (owned, why) = await RunAsync("/bin/chown", "postfix", Path.Combine(directory, "data"));
            if (owned != 0) throw new InvalidOperationException($"chown postfix {directory}/data exited with {owned} (Postfix needs root here): {why}");
            var (code, output) = await RunAsync("/usr/sbin/postfix", "-c", sender._config, "start");
            if (code != 0) throw new InvalidOperationException($"postfix -c {sender._config} start exited with {code}: {output}\n{sender.MailLog}");
            await Eventually.Until(() => sender.Accepting(), TimeSpan.FromSeconds(20), $"Postfix to listen on {submission}");
        }
        catch
        {
            await sender.DisposeAsync();
            throw;
        }
        return sender;
    }

    /// <summary>postqueue -p: what waits in its queue, with the reason of the last attempt.</summary>
    public async Task<string> QueueAsync() => (await RunAsync("/usr/sbin/postqueue", "-c", _config, "-p")).Output;

    private bool Accepting()
    {
        try
        {
            using var probe = new System.Net.Sockets.TcpClient();
            probe.Connect(Submission);
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
    private async Task<int?> MasterPidAsync()
    {
        var file = Path.Combine(_directory, "queue", "pid", "master.pid");
        if (!File.Exists(file)) return null;
        var (code, text) = await RunAsync("/bin/cat", file);
        return code == 0 && int.TryParse(text.Trim(), out var pid) ? pid : null;
    }

    private static async Task<(int Code, string Output)> RunAsync(string program, params string[] arguments)
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
            await RunAsync("/usr/sbin/postfix", "-c", _config, "stop");
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
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { /* a temp directory */ }
    }
}
