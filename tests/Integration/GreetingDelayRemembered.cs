using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// Issue 13, item 6: a client address that waited for the greeting (it passed the pre-greet test
/// of tunnel.smtp.greeting-delay) is greeted at once on its next connections, as Postfix's
/// postscreen does for postscreen_greet_ttl; an early talker is still refused. The node runs
/// with the shipped values: greeting-delay 2s (set here because the other ingress scenarios turn
/// it off) and greeting-pass-ttl 1d (not set: the default). So the first patient connection of an
/// address costs the 2 s a production sender pays once, and the test takes about 2 s per family.
/// Fails on main: the second connection waited the whole delay again, past the bound below.
/// </summary>
public sealed class GreetingDelayRemembered(GreetingDelayRemembered.Fixture fixture) : IClassFixture<GreetingDelayRemembered.Fixture>
{
    public sealed class Fixture() : IngressFixture("tunnel.smtp.greeting-delay = 2s");

    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(2);

    /// <summary>
    /// "At once" is measured against the delay: a greeting that comes before 90 % of it, counted
    /// from before the connect, cannot have waited for it (the node's timer starts after it
    /// accepted the connection), while a loopback greeting takes milliseconds. The margin is for a
    /// test process that is busy with other tests' nodes (half the delay was once too little).
    /// </summary>
    private static readonly TimeSpan AtOnce = Delay * 0.9;

    private const string EarlyTalkerReply = "554 5.5.0 tunnel.test Error: you talked before the greeting; closing connection";

    [Fact]
    public async Task An_IPv4_client_waits_once_and_another_address_is_still_tested()
    {
        var server = fixture.Node.Smtp(AddressFamily.InterNetwork);

        await WaitsOnceThenIsGreetedAtOnceAsync(server);

        // The pass belongs to 127.0.0.1 alone: 127.0.0.2, never tested, still waits and is refused when it talks first.
        Assert.Equal(EarlyTalkerReply, await TalkEarlyAsync(server, from: IPAddress.Parse("127.0.0.2")));
    }

    [Fact]
    public async Task An_IPv6_client_waits_once()
    {
        await WaitsOnceThenIsGreetedAtOnceAsync(fixture.Node.Smtp(AddressFamily.InterNetworkV6));
    }

    private static async Task WaitsOnceThenIsGreetedAtOnceAsync(IPEndPoint server)
    {
        // An early talker is refused and not remembered as having passed.
        Assert.Equal(EarlyTalkerReply, await TalkEarlyAsync(server, from: null));

        // The first patient connection waits the delay (the timer starts after our stopwatch: no margin needed).
        var waited = Stopwatch.StartNew();
        await using (var first = await RawSmtpClient.ConnectAsync(server))
        {
            Assert.Equal("220 tunnel.test ESMTP Tunnel", await first.ReadReplyAsync());
            waited.Stop();
            Assert.StartsWith("221", await first.CommandAsync("QUIT"));
        }
        Assert.True(waited.Elapsed >= Delay, $"the first greeting came after {waited.Elapsed}, before the delay of {Delay}");

        // The next connection from the same address is greeted at once.
        var connecting = Stopwatch.StartNew();
        await using (var second = await RawSmtpClient.ConnectAsync(server))
        {
            var greeting = await second.ReadReplyAsync().WaitAsync(Left(connecting));
            Assert.Equal("220 tunnel.test ESMTP Tunnel", greeting);
            Assert.StartsWith("250", await second.CommandAsync("EHLO patient.example"));
        }

        // Greeted at once, it cannot talk early any more: what it sends at once is simply served.
        connecting.Restart();
        await using var third = await RawSmtpClient.ConnectAsync(server);
        await third.SendAsync("EHLO eager.example\r\n");
        Assert.Equal("220 tunnel.test ESMTP Tunnel", await third.ReadReplyAsync().WaitAsync(Left(connecting)));
        Assert.StartsWith("250", await third.ReadReplyAsync());
    }

    private static TimeSpan Left(Stopwatch since) => AtOnce > since.Elapsed ? AtOnce - since.Elapsed : TimeSpan.Zero;

    /// <summary>Connects, sends EHLO before any greeting, and returns the reply (read within the delay: it is the refusal, not a greeting).</summary>
    private static async Task<string> TalkEarlyAsync(IPEndPoint server, IPAddress? from)
    {
        await using var client = await RawSmtpClient.ConnectAsync(server, from);
        await client.SendAsync("EHLO early.example\r\n");
        var reply = await client.ReadReplyAsync();
        Assert.True(await client.IsClosedByServerAsync());
        return reply;
    }
}
