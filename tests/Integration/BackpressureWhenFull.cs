using System.Net.Sockets;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// A node holding as many transactions as tunnel.smtp.max-pending-messages allows puts new mail
/// off: MAIL gets 451 4.3.1 and a new connection 421 4.3.2, instead of the node taking on more
/// than its memory and database can absorb. When a transaction ends, mail is accepted again.
/// </summary>
public sealed class BackpressureWhenFull
{
    [Fact]
    public async Task New_mail_is_put_off_while_the_node_is_full()
    {
        await using var world = await TunnelWorld.StartAsync("smtp.max-pending-messages = 1");
        var smtp = world.Tunnel.Smtp(AddressFamily.InterNetwork);

        var (first, _) = await RawSmtpClient.OpenAsync(smtp);
        var (second, _) = await RawSmtpClient.OpenAsync(smtp); // connected while the node had room
        await using (first)
        await using (second)
        {
            await first.CommandAsync("EHLO one.example");
            await second.CommandAsync("EHLO two.example");
            Assert.StartsWith("250", await first.CommandAsync("MAIL FROM:<a@ip4only.example>")); // the one transaction allowed

            Assert.Equal("451 4.3.1 Error: insufficient system resources, try again later",
                await second.CommandAsync("MAIL FROM:<b@ip4only.example>"));
            var (third, greeting) = await RawSmtpClient.OpenAsync(smtp);
            await using (third) Assert.StartsWith("421 4.3.2", greeting);

            Assert.StartsWith("250", await first.CommandAsync("RSET")); // the transaction ends
            Assert.StartsWith("250", await second.CommandAsync("MAIL FROM:<b@ip4only.example>"));
        }
    }
}
