using System.Net.Sockets;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// RFC 5321 §4.5.3.2 timeouts, made short here (tunnel.smtp.command-timeout, data-timeout): a
/// silent client gets 421 4.4.2 and is disconnected, in the command phase and in the middle of
/// message data alike; the half-received message leaves nothing behind.
/// </summary>
public sealed class SessionTimeouts(SessionTimeouts.Fixture fixture) : IClassFixture<SessionTimeouts.Fixture>
{
    public sealed class Fixture() : IngressFixture("tunnel.smtp { command-timeout = 1s, data-timeout = 1s }");

    [Theory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public async Task A_silent_client_is_told_and_disconnected(AddressFamily family)
    {
        await using var client = await fixture.Node.OpenAsync(family);

        Assert.Equal("421 4.4.2 tunnel.test Error: timeout exceeded", await client.ReadReplyAsync());
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Theory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public async Task A_client_silent_in_the_middle_of_data_is_disconnected_and_nothing_kept(AddressFamily family)
    {
        await using var client = await fixture.Node.OpenAsync(family);
        await client.CommandAsync("EHLO client.example");
        await client.CommandAsync("MAIL FROM:<a@ip4only.example>");
        await client.CommandAsync("RCPT TO:<u@example.com>");
        Assert.StartsWith("354", await client.CommandAsync("DATA"));
        await client.SendAsync("Subject: half\r\n\r\nhalf a message");

        Assert.Equal("421 4.4.2 tunnel.test Error: timeout exceeded", await client.ReadReplyAsync());
        Assert.True(await client.IsClosedByServerAsync());
        Assert.Equal(0, await fixture.Node.SpoolCountAsync());
        Assert.DoesNotContain(fixture.Node.Node.MailLog.Lines, l => l.Contains(" received from"));
    }
}
