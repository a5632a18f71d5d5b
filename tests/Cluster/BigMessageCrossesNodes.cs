using System.Text;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Cluster;

/// <summary>
/// A 10 MiB message accepted by one node for a domain whose queue lives on another: only the
/// envelope crosses the cluster (the body stays in the shared database), so size does not
/// matter to remoting. Each node receives one for the same domain, so one of them crosses.
/// </summary>
public sealed class BigMessageCrossesNodes
{
    [Fact]
    public async Task Ten_MiB_messages_reach_their_domain_queue_on_any_node_intact()
    {
        await using var cluster = await ClusterHarness.StartAsync(nodes: 2, domains: 1);
        var body = new StringBuilder();
        var random = new Random(7);
        while (body.Length < 10 * 1024 * 1024) body.Append(Convert.ToBase64String(RandomBytes(random, 57))).Append("\r\n");
        var payload = body.ToString();

        foreach (var node in new[] { 1, 2 })
        {
            var tag = $"big-{node}";
            var content = Encoding.ASCII.GetBytes($"Subject: {tag}\r\nX-Tag: {tag}\r\n\r\n{payload}.\r\n");
            await Eventually.Until(async () =>
            {
                var (client, _) = await RawSmtpClient.OpenAsync(cluster.Smtp(node));
                await using (client)
                    return (await client.SendMailAsync("big@ip4only.example", [$"{tag}@d0.example"], content)).StartsWith("250");
            }, TimeSpan.FromMinutes(1), $"node {node} to accept the big message");
        }

        await Eventually.Until(() => cluster.Delivered.Count(m => ClusterHarness.TagOf(m).StartsWith("big-")) == 2,
            TimeSpan.FromMinutes(2), "both big messages to arrive");
        foreach (var mail in cluster.Delivered.Where(m => ClusterHarness.TagOf(m).StartsWith("big-")))
            Assert.EndsWith(payload, mail.Text);
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }
}
