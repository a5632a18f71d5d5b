using System.Net.Sockets;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// tunnel.smtp.max-connections-per-client (2) and max-connections (3): a connection past either
/// gets 421 4.7.0 instead of a greeting and is closed; a slot freed by a client leaving is given
/// to the next connection. 127.0.0.1 and ::1 are two clients.
/// </summary>
public sealed class ConnectionLimits
{
    [Fact]
    public async Task Connections_past_the_limits_get_421_and_freed_slots_are_reused()
    {
        await using var node = await IngressNode.StartAsync("""
            tunnel.smtp.max-connections = 3
            tunnel.smtp.max-connections-per-client = 2
            """);
        var v4 = node.Smtp(AddressFamily.InterNetwork);
        var v6 = node.Smtp(AddressFamily.InterNetworkV6);

        var (first, greeting1) = await RawSmtpClient.OpenAsync(v4);
        var (second, greeting2) = await RawSmtpClient.OpenAsync(v4);
        Assert.StartsWith("220 ", greeting1);
        Assert.StartsWith("220 ", greeting2);

        var (third, refusal) = await RawSmtpClient.OpenAsync(v4);
        Assert.Equal("421 4.7.0 tunnel.test Error: too many connections from your address, try again later", refusal);
        Assert.True(await third.IsClosedByServerAsync());
        await third.DisposeAsync();

        var (fromV6, greeting3) = await RawSmtpClient.OpenAsync(v6); // another client: within its own limit
        Assert.StartsWith("220 ", greeting3);
        var (fourth, full) = await RawSmtpClient.OpenAsync(v6);
        Assert.Equal("421 4.7.0 tunnel.test Error: too many connections, try again later", full);
        await fourth.DisposeAsync();

        // A client leaves: its slot is free again once the session has ended.
        Assert.StartsWith("221", await first.CommandAsync("QUIT"));
        await first.DisposeAsync();
        await Eventually.Until(async () =>
        {
            var (client, reply) = await RawSmtpClient.OpenAsync(v4);
            await client.DisposeAsync();
            return reply.StartsWith("220 ");
        }, TimeSpan.FromSeconds(10), "a new IPv4 connection to be greeted");

        Assert.Contains(node.Node.MailLog.Lines, l => l.Contains("NOQUEUE: refused from [127.0.0.1]: 421 4.7.0"));
        await second.DisposeAsync();
        await fromV6.DisposeAsync();
    }
}
