using System.Diagnostics;
using System.Net;
using DnsClient;

namespace Tunnel.Tests.Testing;

/// <summary>
/// Two real BIND 9 servers (Debian's bind9 package) on loopback, for DANE: one serves a zone
/// signed with a key made by the test (dnssec-keygen, dnssec-signzone), the other is a
/// validating resolver that trusts that key and forwards the zone to the first, so its answers
/// carry the AD bit exactly when they validate. Point tunnel.dns.servers at <see cref="Resolver"/>.
/// Both processes are stopped by PID on dispose. Without bind9 the start fails and says how to get it.
/// </summary>
public sealed class Bind9Pair : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private readonly string _directory;
    private readonly List<Process> _servers = [];

    private Bind9Pair(string directory) => _directory = directory;

    public IPEndPoint Resolver { get; private set; } = null!;

    /// <param name="zone">The zone's name, e.g. "example.com".</param>
    /// <param name="records">Zone-file lines relative to the zone (SOA and NS are added), e.g. "@ IN MX 1 mx1".</param>
    public static async Task<Bind9Pair> StartAsync(string zone, params string[] records)
    {
        var named = Tool("/usr/sbin/named");
        var keygen = Tool("/usr/bin/dnssec-keygen");
        var signzone = Tool("/usr/bin/dnssec-signzone");
        var pair = new Bind9Pair(Directory.CreateTempSubdirectory("tunnel-bind9-").FullName);
        try
        {
            var d = pair._directory;
            var key = (await RunAsync(keygen, d, "-q", "-a", "ECDSAP256SHA256", "-f", "KSK", "-K", d, zone)).Trim();
            await File.WriteAllTextAsync(Path.Combine(d, "zone"),
                $"$TTL 60\n@ IN SOA ns.{zone}. hostmaster.{zone}. 1 60 60 600 60\n@ IN NS ns.{zone}.\nns IN A 127.0.0.1\n"
                + string.Concat(records.Select(r => r + "\n")) + $"$INCLUDE {d}/{key}.key\n");
            // -z: the one key signs everything (a combined signing key), enough for a test zone.
            await RunAsync(signzone, d, "-q", "-z", "-K", d, "-o", zone, "-f", Path.Combine(d, "zone.signed"), Path.Combine(d, "zone"));
            var dnskey = File.ReadAllLines(Path.Combine(d, $"{key}.key")).Single(l => !l.StartsWith(';') && l.Contains("DNSKEY"));
            var fields = dnskey[(dnskey.IndexOf("DNSKEY", StringComparison.Ordinal) + 6)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);

            var signer = FreePorts.Next();
            await pair.StartNamedAsync(named, "signer", signer, $$"""
                recursion no; dnssec-validation no; };
                controls { };
                zone "{{zone}}" { type primary; file "{{d}}/zone.signed"; };
                """);
            var resolver = FreePorts.Next();
            await pair.StartNamedAsync(named, "validator", resolver, $$"""
                recursion yes; allow-recursion { any; }; dnssec-validation yes; };
                controls { };
                trust-anchors { {{zone}}. static-key {{fields[0]}} {{fields[1]}} {{fields[2]}} "{{string.Join("", fields.Skip(3))}}"; };
                zone "{{zone}}" { type forward; forward only; forwarders { 127.0.0.1 port {{signer}}; }; };
                """);
            pair.Resolver = new IPEndPoint(IPAddress.Loopback, resolver);
            await pair.WaitUntilValidatedAsync(zone);
            return pair;
        }
        catch
        {
            await pair.DisposeAsync();
            throw;
        }
    }

    private static string Tool(string path) => File.Exists(path)
        ? path
        : throw new InvalidOperationException($"{path} is missing: the DANE tests need Debian's bind9 and bind9-utils packages (./test.sh installs them)");

    private async Task StartNamedAsync(string named, string name, int port, string rest)
    {
        var d = _directory;
        var conf = Path.Combine(d, $"{name}.conf");
        await File.WriteAllTextAsync(conf,
            $"options {{ directory \"{d}\"; pid-file \"{d}/{name}.pid\"; session-keyfile \"{d}/{name}.session\"; "
            + $"listen-on port {port} {{ 127.0.0.1; }}; listen-on-v6 {{ none; }}; " + rest);
        var process = Process.Start(new ProcessStartInfo(named, ["-g", "-c", conf])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        }) ?? throw new InvalidOperationException("named did not start");
        _servers.Add(process);
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Until the validator answers the zone's SOA with the AD bit: both servers are up and the chain of trust works.</summary>
    private async Task WaitUntilValidatedAsync(string zone)
    {
        var options = new LookupClientOptions(new NameServer(Resolver)) { UseCache = false, RequestDnsSecRecords = true, Timeout = TimeSpan.FromSeconds(1), Retries = 0 };
        var client = new LookupClient(options);
        await Eventually.Until(async () =>
        {
            if (_servers.FirstOrDefault(p => p.HasExited) is { } dead)
                throw new InvalidOperationException($"named exited with {dead.ExitCode} (see its configuration in {_directory})");
            try
            {
                var answer = await client.QueryAsync(zone, QueryType.SOA);
                return !answer.HasError && answer.Header.IsAuthenticData;
            }
            catch (DnsResponseException) { return false; }
        }, StartTimeout, $"the validating bind9 on {Resolver} to answer {zone} with the AD bit");
    }

    private static async Task<string> RunAsync(string tool, string directory, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(tool, arguments)
        {
            WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        }) ?? throw new InvalidOperationException($"{tool} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(StartTimeout);
        await process.WaitForExitAsync(deadline.Token);
        if (process.ExitCode != 0) throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)} failed: {await error}");
        return await output;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            try
            {
                if (!server.HasExited) server.Kill();
                await server.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (InvalidOperationException) { /* already gone */ }
            server.Dispose();
        }
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { /* temp directory */ }
    }
}
