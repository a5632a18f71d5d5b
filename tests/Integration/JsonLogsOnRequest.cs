using System.Text.Json;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// With <c>tunnel.log.format = json</c> a real node writes its mail log as one JSON object per
/// line, and a disposition carries its facts as fields that a log shipper can index: queue id,
/// recipient, relay, family, dsn, status. (That the node's and Akka's lines take the same form is
/// the unit test of the line writer, MailLogLines.)
/// </summary>
public sealed class JsonLogsOnRequest
{
    [Fact]
    public async Task Every_line_is_json_and_a_delivery_has_its_fields()
    {
        await using var world = await TunnelWorld.StartAsync("log.format = json");
        var id = TunnelWorld.QueueId(await world.SendAsync(TunnelWorld.Sender, ["user@example.com"]));

        await world.WaitForLogAsync(l => l.Contains($"{id}: removed from example.com queue"), "the delivery");

        var lines = world.Tunnel.MailLog.Lines.Select(l => JsonDocument.Parse(l).RootElement).ToList(); // throws on any non-JSON line
        Assert.All(lines, l => Assert.Equal(id, l.GetProperty("queueId").GetString()));
        var sent = Assert.Single(lines, l => l.TryGetProperty("status", out var s) && s.GetString() == "sent");
        Assert.Equal("mail", sent.GetProperty("category").GetString());
        Assert.Equal("info", sent.GetProperty("level").GetString());
        Assert.Equal(id, sent.GetProperty("queueId").GetString());
        Assert.Equal("user@example.com", sent.GetProperty("to").GetString());
        Assert.Equal($"mx1.example.com[::1]:{world.Port}", sent.GetProperty("relay").GetString());
        Assert.Equal("ipv6", sent.GetProperty("family").GetString());
        Assert.Equal("2.0.0", sent.GetProperty("dsn").GetString());
        Assert.Contains($"{id}: to=<user@example.com>", sent.GetProperty("message").GetString());
    }
}
