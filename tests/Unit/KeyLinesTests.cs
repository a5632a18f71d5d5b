using Tunnel.Node.Configuration;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// Where each key of a HOCON text is written, so that an unknown key's error can name its line
/// (issue 13, item 7). A table of the shapes configuration files take. New on this branch: on main
/// the type did not exist and these did not compile.
/// </summary>
public sealed class KeyLinesTests
{
    [Theory]
    [InlineData("tunnel.relay.domains = []", "tunnel.relay.domains", 1)]
    [InlineData("tunnel.relay.domains = []", "tunnel.relay", 1)]
    [InlineData("tunnel {\n  relay {\n    domains = []\n  }\n}", "tunnel.relay.domains", 3)]
    [InlineData("tunnel {\n  relay.domains: [\n \"a.example\",\n \"b.example\"\n ]\n  smtp.max-errors = 3\n}", "tunnel.smtp.max-errors", 6)]
    [InlineData("# a comment { with a brace\ntunnel { // another }\n  hostname = \"x # not a comment\"\n  admin.token = \"}\"\n  log.format = json\n}", "tunnel.log.format", 5)]
    [InlineData("tunnel.outbound.family-policy-by-domain { \"gmail.com\" = ipv4-only }\n", "tunnel.outbound.family-policy-by-domain.\"gmail.com\"", 1)]
    [InlineData("tunnel { smtp { listen = [\"127.0.0.1:25\"], max-errors = 3 }, dns.timeout = 1s }", "tunnel.dns.timeout", 1)]
    [InlineData("tunnel.hostname = \"\"\"a\nlong\nname\"\"\"\ntunnel.log.format = text", "tunnel.log.format", 4)]
    [InlineData("x = 1\ntunnel.relay.domains = ${?x}\ntunnel.relay.clients += \"192.0.2.0/24\"", "tunnel.relay.clients", 3)]
    [InlineData("{\n  tunnel {\n    \"relay\" { \"domains\" = [] }\n  }\n}", "tunnel.relay.domains", 3)]
    [InlineData("tunnel.queue.retry { first = 1m, max = 2m }\r\ntunnel.queue.lifetime = 1d\r\n", "tunnel.queue.lifetime", 2)]
    [InlineData("a = [ { tunnel = 1 } ]\ntunnel.x = 1", "tunnel.x", 2)]
    public void A_key_is_found_on_its_line(string hocon, string key, int line)
    {
        var lines = KeyLines.Read(hocon);

        Assert.True(lines.TryGetValue(key, out var found), $"{key} not found among {string.Join(", ", lines.Keys)}");
        Assert.Equal(line, found);
    }

    [Fact]
    public void The_first_line_counts_when_a_key_is_written_twice()
    {
        Assert.Equal(2, KeyLines.Read("tunnel.log.format = text\ntunnel.relay.domains = []\ntunnel.relay.domains = []")["tunnel.relay.domains"]);
    }

    [Fact]
    public void Values_are_not_keys()
    {
        var lines = KeyLines.Read("tunnel.relay.domains = [\"a.example\", { b = 1 }]\ntunnel.hostname = mx.example.net");

        Assert.Equal(["tunnel", "tunnel.relay", "tunnel.relay.domains", "tunnel.hostname"], lines.Keys);
    }
}
