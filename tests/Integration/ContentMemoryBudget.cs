using System.Net.Sockets;
using System.Text;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// Issue 13, item 5: the node's memory for message content in flight is bounded
/// (<c>tunnel.smtp.max-content-in-flight</c>; 256 KiB here, 1 GiB by default: the same code on
/// a bigger number). A message whose content needs more than is left is refused at its end with
/// 452 4.3.1 and nothing is kept; a MAIL declaring more (SIZE=) is refused at once; the memory
/// comes back when a message is stored, refused or cut off, so the next one is taken. Before,
/// nothing bounded the total: 500 pending messages of up to 35 MiB each.
/// </summary>
public sealed class ContentMemoryBudget(ContentMemoryBudget.Fixture fixture) : IClassFixture<ContentMemoryBudget.Fixture>
{
    public sealed class Fixture() : IngressFixture("tunnel.smtp { max-content-in-flight = 256KiB }");

    private static readonly string Big = string.Concat(Enumerable.Repeat(new string('x', 76) + "\r\n", 4000)); // ~312 KiB
    private static readonly string Small = string.Concat(Enumerable.Repeat(new string('y', 76) + "\r\n", 400)); // ~31 KiB

    [Fact]
    public async Task A_message_that_does_not_fit_is_refused_with_452_and_the_next_one_is_taken()
    {
        await using var client = await fixture.Node.OpenAsync(AddressFamily.InterNetwork);
        await client.CommandAsync("EHLO client.example");

        var refused = await client.SendMailAsync("a@ip4only.example", ["budget@example.com"], Encoding.ASCII.GetBytes($"Subject: big\r\n\r\n{Big}.\r\n"));
        Assert.Equal("452 4.3.1 Error: insufficient system storage, try again later", refused);

        var taken = await client.SendMailAsync("a@ip4only.example", ["budget@example.com"], Encoding.ASCII.GetBytes($"Subject: small\r\n\r\n{Small}.\r\n"));
        Assert.StartsWith("250 2.0.0 Ok: queued as ", taken);
        var received = Assert.Single(await fixture.Node.Sink.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30)));
        Assert.Contains("Subject: small", received.Text);
        Assert.Contains(fixture.Node.Node.MailLog.Lines, l => l.Contains("NOQUEUE: refused") && l.Contains("452 4.3.1"));
    }

    [Fact]
    public async Task A_mail_declaring_more_than_is_left_is_refused_at_once()
    {
        await using var client = await fixture.Node.OpenAsync(AddressFamily.InterNetworkV6);
        await client.CommandAsync("EHLO client.example");

        Assert.Equal("452 4.3.1 Error: insufficient system storage, try again later",
            await client.CommandAsync("MAIL FROM:<a@ip4only.example> SIZE=300000"));
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<a@ip4only.example> SIZE=30000"));
    }
}
