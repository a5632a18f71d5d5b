using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// Issue 13, item 7: a key under <c>tunnel { }</c> that the node does not know is an error, not a
/// silent no-op. `tunnel config check` and `tunnel run` both exit 78 (EX_CONFIG) and name each
/// unknown key with its file and line and the closest key the node knows. The known keys are
/// those of the embedded cluster.hocon; the entries of a map such as
/// <c>tunnel.outbound.family-policy-by-domain</c> are the operator's, and <c>akka { }</c> is
/// Akka's business: both pass.
/// </summary>
public sealed class UnknownKeysAreErrors : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tunnel-unknown-keys-").FullName;

    /// <summary>The issue's file: each typo on a line of its own (2, 4 and 6).</summary>
    private const string Typos = """
        tunnel {
          relay.domans = ["example.com"]
          smtp {
            greting-delay = 5s
          }
          tls.certficate = "/etc/tunnel/cert.pem"
        }
        """;

    /// <summary>
    /// Fails on main: config check found only the bad value and said nothing of the three typos.
    /// The unknown keys come with the file's other problems, so the operator fixes it in one go.
    /// </summary>
    [Fact]
    public async Task Config_check_names_each_unknown_key_its_line_and_the_key_meant()
    {
        var file = await WriteAsync("typos.hocon", Typos + "\ntunnel.smtp.max-errors = many\n");

        var result = await Cli.RunAsync("config", "check", file);

        Assert.True(result.Code == 78, result.ToString());
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"{file}: 4 problem(s)", lines[0]);
        Assert.Contains($"  tunnel.relay.domans: unknown key ({file}:2); did you mean tunnel.relay.domains?", lines);
        Assert.Contains($"  tunnel.smtp.greting-delay: unknown key ({file}:4); did you mean tunnel.smtp.greeting-delay?", lines);
        Assert.Contains($"  tunnel.tls.certficate: unknown key ({file}:6); did you mean tunnel.tls.certificate?", lines);
        // Under each, the documentation of the key it probably means.
        Assert.Contains(lines, l => l.StartsWith("      # Domains we accept mail for"));
        Assert.Contains("  tunnel.smtp.max-errors: 'many' is not a whole number", lines);

        var json = (await Cli.RunAsync("config", "check", file, "--json")).Json;
        Assert.False(json.GetProperty("valid").GetBoolean());
        var domans = json.GetProperty("problems").EnumerateArray().Single(p => p.GetProperty("key").GetString() == "tunnel.relay.domans");
        Assert.Equal(file, domans.GetProperty("file").GetString());
        Assert.Equal(2, domans.GetProperty("line").GetInt32());
        Assert.Equal("tunnel.relay.domains", domans.GetProperty("suggestion").GetString());
    }

    /// <summary>Fails on main: the node started and listened with this file (the test then stops it).</summary>
    [Fact]
    public async Task Run_exits_78_before_listening()
    {
        var file = await WriteAsync("typos.hocon", Typos + $"""

            tunnel.smtp.listen = ["127.0.0.1:0"]
            tunnel.admin.listen = off
            tunnel.cluster.port = 0
            tunnel.storage.sqlite.path = "{Path.Combine(_directory, "data")}"
            """);

        string failure;
        try
        {
            await using var node = await NodeProcess.StartAsync(file);
            failure = "";
            Assert.Fail($"the node started listening on {string.Join(", ", node.SmtpEndpoints)} with unknown keys in its configuration");
        }
        catch (InvalidOperationException e)
        {
            failure = e.Message;
        }

        Assert.StartsWith("tunnel exited with 78:", failure);
        Assert.DoesNotContain("SMTP listening on", failure);
        Assert.Contains($"tunnel.relay.domans: unknown key ({file}:2); did you mean tunnel.relay.domains?", failure);
        Assert.Contains($"tunnel.smtp.greting-delay: unknown key ({file}:4)", failure);
        Assert.Contains($"tunnel.tls.certficate: unknown key ({file}:6)", failure);
    }

    /// <summary>
    /// Passes on main too; it guards the other side: the check must not refuse a valid file. Every
    /// key here is known, the map's entries are domains of the operator's choosing, and the akka
    /// block is passed to Akka unchanged, including a key Tunnel never heard of.
    /// </summary>
    [Fact]
    public async Task Known_keys_map_entries_and_akka_keys_pass()
    {
        var file = await WriteAsync("valid.hocon", """
            tunnel {
              hostname = "mx.example.net"
              smtp { listen = ["127.0.0.1:2525"], greeting-delay = 2s }
              relay.domains = ["example.com"]
              outbound.family-policy-by-domain { "gmail.com" = ipv4-only, "example.org" = ipv6-then-ipv4 }
              queue.retry.first = 1m
              "storage" { sqlite.path = data }
            }
            akka {
              loglevel = DEBUG
              cluster.split-brain-resolver.active-strategy = keep-oldest
              a-setting-only-akka-knows = 1
            }
            """);

        var result = await Cli.RunAsync("config", "check", file);

        Assert.True(result.Code == 0, result.ToString());
        Assert.StartsWith($"{file}: valid\n", result.Output);
    }

    private async Task<string> WriteAsync(string name, string text)
    {
        var file = Path.Combine(_directory, name);
        await File.WriteAllTextAsync(file, text);
        return file;
    }

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); }
        catch (IOException) { /* temp directory */ }
    }
}
