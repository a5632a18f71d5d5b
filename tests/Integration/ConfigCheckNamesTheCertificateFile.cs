using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// Issue 14: a certificate pair that cannot be served is a configuration error found before the
/// node listens, by `tunnel config check` as by `tunnel run`: the key, the entry's number, the
/// file at fault and why, where the configuration sets it, and the key's documentation.
/// </summary>
public sealed class ConfigCheckNamesTheCertificateFile : IDisposable
{
    private readonly TestCa _ca = TestCa.Create();

    [Fact]
    public async Task A_missing_file_and_a_key_of_another_certificate_are_named_with_their_entry()
    {
        var main = _ca.Issue("default", ["tunnel.test"]);
        var mx1 = _ca.Issue("mx1", ["mx1.example.com"]);
        var other = _ca.Issue("other", ["other.example.com"]);
        var file = Path.Combine(_ca.Directory, "tunnel.hocon");
        await File.WriteAllTextAsync(file, $$"""
            tunnel.tls {
              certificate = "{{main.Certificate}}"
              key = "{{main.Key}}"
              certificates = [
                { certificate = "{{mx1.Certificate}}", key = "{{other.Key}}" }
                { certificate = "/nonexistent/mx2/fullchain.pem", key = "/nonexistent/mx2/privkey.pem" }
              ]
            }
            """);

        var result = await Cli.RunAsync("config", "check", file);

        Assert.True(result.Code == 78, result.ToString());
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"{file}: 2 problem(s)", lines[0]);
        Assert.Contains($"  tunnel.tls.certificates: [1]: '{other.Key}' is not the private key of the certificate in {mx1.Certificate}", lines);
        Assert.Contains("  tunnel.tls.certificates: [2]: '/nonexistent/mx2/fullchain.pem' does not exist", lines);
        Assert.Contains($"      at {file}:4", lines);
        Assert.Contains(lines, l => l.StartsWith("      # The certificates of the MX hosts the tunnel stands in for"));

        var json = (await Cli.RunAsync("config", "check", file, "--json")).Json;
        var problem = json.GetProperty("problems")[0];
        Assert.Equal("tunnel.tls.certificates", problem.GetProperty("key").GetString());
        Assert.Equal(4, problem.GetProperty("line").GetInt32());
    }

    [Fact]
    public async Task A_valid_file_lists_the_certificates_it_serves()
    {
        var main = _ca.Issue("default", ["tunnel.test"]);
        var wildcard = _ca.Issue("wild", ["*.example.org", "example.org"]);
        var file = Path.Combine(_ca.Directory, "valid.hocon");
        await File.WriteAllTextAsync(file, $$"""
            tunnel.tls {
              certificate = "{{main.Certificate}}", key = "{{main.Key}}"
              certificates = [{ certificate = "{{wildcard.Certificate}}", key = "{{wildcard.Key}}" }]
            }
            """);

        var result = await Cli.RunAsync("config", "check", file);

        Assert.True(result.Code == 0, result.ToString());
        Assert.Matches(@"
  tls      default tunnel\.test \(expires \d{4}-\d\d-\d\d\); by SNI: \*\.example\.org \(expires \d{4}-\d\d-\d\d\)
", result.Output);
    }

    public void Dispose() => _ca.Dispose();
}
