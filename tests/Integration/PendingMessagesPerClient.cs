using System.Net.Sockets;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// Issue 13, item 4: one client holds at most its share of the node's transactions
/// (<c>tunnel.smtp.max-pending-messages-per-client</c>, default 10), so a few addresses that
/// open transactions and idle cannot lock every other sender out of the node-wide 500. At the
/// default: ten MAILs from 127.0.0.1 are accepted, the eleventh gets 451 4.3.1, while a client
/// on ::1 still gets 250; when one of the ten ends, the eleventh is accepted. Before, the
/// eleventh was accepted too, up to the node's 500 (25 addresses with 20 connections each).
/// </summary>
public sealed class PendingMessagesPerClient
{
    [Fact]
    public async Task A_client_holding_its_share_of_transactions_is_put_off_and_others_are_not()
    {
        await using var world = await TunnelWorld.StartAsync();
        var v4 = world.Tunnel.Smtp(AddressFamily.InterNetwork);
        var sessions = new List<RawSmtpClient>();
        try
        {
            for (var i = 0; i < 11; i++)
            {
                var (client, greeting) = await RawSmtpClient.OpenAsync(v4);
                sessions.Add(client);
                Assert.StartsWith("220", greeting);
                Assert.StartsWith("250", await client.CommandAsync($"EHLO client{i}.example"));
            }
            for (var i = 0; i < 10; i++)
                Assert.StartsWith("250", await sessions[i].CommandAsync($"MAIL FROM:<s{i}@ip4only.example>"));

            Assert.Equal("451 4.3.1 Error: too many messages in progress from your address, try again later",
                await sessions[10].CommandAsync("MAIL FROM:<s10@ip4only.example>"));

            var (other, _) = await RawSmtpClient.OpenAsync(world.Tunnel.Smtp(AddressFamily.InterNetworkV6));
            await using (other)
            {
                Assert.StartsWith("250", await other.CommandAsync("EHLO other.example"));
                Assert.StartsWith("250", await other.CommandAsync("MAIL FROM:<other@ip6only.example>"));
            }

            Assert.StartsWith("250", await sessions[0].CommandAsync("RSET"));
            Assert.StartsWith("250", await sessions[10].CommandAsync("MAIL FROM:<s10@ip4only.example>"));
        }
        finally
        {
            foreach (var session in sessions) await session.DisposeAsync();
        }
    }
}
