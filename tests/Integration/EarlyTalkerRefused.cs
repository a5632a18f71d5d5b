using System.Net.Sockets;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// tunnel.smtp.greeting-delay: a client that sends before our greeting (RFC 5321 §4.3.1 says it
/// waits for it) gets 554 5.5.0 in place of the greeting and is disconnected; a patient client
/// is greeted after the delay. The memory of clients that passed (greeting-pass-ttl, see
/// GreetingDelayRemembered) is off here, so every connection is tested whatever ran before it.
/// </summary>
public sealed class EarlyTalkerRefused(EarlyTalkerRefused.Fixture fixture) : IClassFixture<EarlyTalkerRefused.Fixture>
{
    public sealed class Fixture() : IngressFixture("tunnel.smtp { greeting-delay = 2s, greeting-pass-ttl = 0s }");

    [Theory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public async Task A_client_talking_before_the_greeting_is_refused(AddressFamily family)
    {
        await using var client = await RawSmtpClient.ConnectAsync(fixture.Node.Smtp(family));
        await client.SendAsync("EHLO early.example\r\nMAIL FROM:<a@ip4only.example>\r\n");

        Assert.Equal("554 5.5.0 tunnel.test Error: you talked before the greeting; closing connection", await client.ReadReplyAsync());
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Theory]
    [InlineData(AddressFamily.InterNetwork)]
    [InlineData(AddressFamily.InterNetworkV6)]
    public async Task A_patient_client_is_greeted(AddressFamily family)
    {
        await using var client = await RawSmtpClient.ConnectAsync(fixture.Node.Smtp(family));

        Assert.Equal("220 tunnel.test ESMTP Tunnel", await client.ReadReplyAsync());
        Assert.StartsWith("250", await client.CommandAsync("EHLO patient.example"));
    }
}
