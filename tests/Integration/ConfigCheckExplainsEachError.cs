using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// `tunnel config check [file]` validates a configuration as `tunnel run` would load it and
/// explains every problem with its key and the key's own documentation from cluster.hocon.
/// </summary>
public sealed class ConfigCheckExplainsEachError : IDisposable
{
    private readonly string _file = Path.GetTempFileName();

    [Fact]
    public async Task Every_bad_key_is_named_and_explained()
    {
        await File.WriteAllTextAsync(_file, """
            tunnel {
              smtp.max-errors = many
              admin.listen = "0.0.0.0:8025"
              queue.retry { first = 1h, max = 5m }
              outbound.family-policy-by-domain { "gmail.com" = sideways }
            }
            """);

        var result = await Cli.RunAsync("config", "check", _file);

        Assert.Equal(78, result.Code);
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"{_file}: 4 problem(s)", lines[0]);
        Assert.Contains("  tunnel.smtp.max-errors: 'many' is not a whole number", lines);
        Assert.Contains(lines, l => l.StartsWith("      # Protocol errors (5xx for syntax and sequence) tolerated in one session"));
        Assert.Contains(lines, l => l.StartsWith("  tunnel.admin.token: must be set (or TUNNEL_ADMIN_TOKEN)"));
        Assert.Contains(lines, l => l.StartsWith("      # Bearer token every request must carry"));
        Assert.Contains("  tunnel.queue.retry.max: must not be shorter than tunnel.queue.retry.first", lines);
        Assert.Contains(lines, l => l.StartsWith("  tunnel.outbound.family-policy-by-domain.") && l.Contains("'sideways' is not one of"));
        Assert.Contains(lines, l => l.StartsWith("      # Per destination domain overrides of family-policy"));

        var json = (await Cli.RunAsync("config", "check", _file, "--json")).Json;
        Assert.False(json.GetProperty("valid").GetBoolean());
        var problem = json.GetProperty("problems").EnumerateArray().Single(p => p.GetProperty("key").GetString() == "tunnel.smtp.max-errors");
        Assert.StartsWith("Protocol errors", problem.GetProperty("documentation").GetString());
    }

    [Fact]
    public async Task A_valid_file_says_what_it_sets()
    {
        await File.WriteAllTextAsync(_file, """tunnel { relay.domains = ["example.com"], smtp.listen = ["127.0.0.1:2525"] }""");

        var result = await Cli.RunAsync("config", "check", _file);

        Assert.Equal(0, result.Code);
        Assert.StartsWith($"{_file}: valid\n", result.Output);
        Assert.Contains("  relay    example.com\n", result.Output);
        Assert.Contains("  admin    127.0.0.1:8025\n", result.Output);
    }

    [Fact]
    public async Task A_file_that_does_not_resolve_is_an_error_too()
    {
        await File.WriteAllTextAsync(_file, "tunnel { relay.domains = ${nowhere} }\n");

        var result = await Cli.RunAsync("config", "check", _file);

        Assert.Equal(78, result.Code);
        Assert.Contains($"{_file}: not valid HOCON", result.Error);
    }

    public void Dispose() => File.Delete(_file);
}
