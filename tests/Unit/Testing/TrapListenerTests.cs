using System.Net;
using System.Net.Sockets;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Unit.Testing;

public sealed class TrapListenerTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public async Task Counts_and_closes_every_connection(string address)
    {
        using var trap = TrapListener.Start(new IPEndPoint(IPAddress.Parse(address), 0));
        Assert.NotEqual(0, trap.EndPoint.Port);
        Assert.Equal(0, trap.ConnectionCount);

        for (var i = 0; i < 3; i++)
        {
            using var client = new TcpClient(trap.EndPoint.AddressFamily);
            await client.ConnectAsync(trap.EndPoint).WaitAsync(TimeSpan.FromSeconds(10));
            // The trap hangs up at once: a read sees end of stream rather than waiting for a greeting.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            Assert.Equal(0, await client.GetStream().ReadAsync(new byte[1], timeout.Token));
        }

        await Eventually.Until(() => trap.ConnectionCount == 3, TimeSpan.FromSeconds(10), "the trap has counted 3 connections");
    }
}
