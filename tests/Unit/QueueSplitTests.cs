using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Tunnel.Cluster.Queue;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;
using Tunnel.Node.Configuration;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// The split rule of issue 15: which sub-queue a message goes to (stable, in range, spread),
/// how sub-queues are named and routed to shards (the plain domain keeps the shard it always
/// had, a domain's sub-queues are in different shards), where a sub-queue's shard is placed
/// (away from its siblings), and the keys that configure it.
/// </summary>
public sealed class QueueSplitTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    private static IEnumerable<MessageId> Ids(int count)
    {
        var at = Now;
        for (var i = 0; i < count; i++) yield return MessageId.New(at = at.AddMilliseconds(1));
    }

    [Fact]
    public void A_message_goes_to_the_same_sub_queue_every_time_and_the_parts_share_the_mail()
    {
        var split = new QueueSplit(1, new Dictionary<string, int> { ["hot.example"] = 4 });
        var ids = Ids(4000).ToList();

        var parts = ids.Select(id => split.PartOf(id, "hot.example")).ToList();

        Assert.Equal(parts, ids.Select(id => split.PartOf(new MessageId(id.Value), "hot.example")));
        Assert.All(parts, p => Assert.InRange(p, 0, 3));
        Assert.All(parts.GroupBy(p => p), g => Assert.InRange(g.Count(), 800, 1200)); // 1000 each, give or take
        Assert.All(ids, id => Assert.Equal(0, split.PartOf(id, "cold.example")));
        Assert.Equal("cold.example", split.QueueOf(ids[0], "cold.example"));
    }

    [Fact]
    public void The_default_splits_every_domain_not_named()
    {
        var split = new QueueSplit(2, new Dictionary<string, int> { ["one.example"] = 1 });

        Assert.Equal((2, 1), (split.PartsOf("any.example"), split.PartsOf("one.example")));
        Assert.Equal([0, 1], Ids(200).Select(id => split.PartOf(id, "any.example")).Distinct().Order());
    }

    [Theory]
    [InlineData("hot.example", "hot.example", 0)]
    [InlineData("hot.example#3", "hot.example", 3)]
    [InlineData("hot.example#x", "hot.example", 0)]
    public void A_queue_name_says_its_domain_and_part(string queue, string domain, int part)
    {
        Assert.Equal((domain, part), (QueueName.DomainOf(queue), QueueName.PartOf(queue)));
    }

    [Fact]
    public void Part_zero_is_the_plain_domain_queue_in_the_shard_it_always_had()
    {
        var extractor = new DomainQueueExtractor(100);
        var before = new PlainExtractor(100);

        foreach (var domain in Enumerable.Range(0, 50).Select(i => $"d{i}.example"))
        {
            Assert.Equal(domain, QueueName.Of(domain, 0));
            var mail = new NewMail(domain, default, null!, [], 0, Now);
            Assert.Equal(Shard(before, mail), Shard(extractor, mail));
            Assert.Equal(before.ShardId(domain), extractor.ShardId(domain)); // remember-entities restarts a queue by its id alone
        }
    }

    [Fact]
    public void A_domains_sub_queues_are_in_different_shards_of_one_family()
    {
        var extractor = new DomainQueueExtractor(100);
        var mail = Enumerable.Range(0, 8).Select(part => new NewMail("hot.example", default, null!, [], 0, Now, part)).ToList();

        var shards = mail.Select(m => Shard(extractor, m)).ToList();

        Assert.Equal(["hot.example", "hot.example#1", "hot.example#7"], new[] { 0, 1, 7 }.Select(i => extractor.EntityId(mail[i])));
        Assert.Equal(8, shards.Distinct().Count());
        Assert.All(shards, s => Assert.Equal(shards[0], DomainQueueExtractor.FamilyOf(s)));
        Assert.Equal(shards[3], extractor.ShardId("hot.example#3"));
        Assert.Equal(shards[2], Shard(extractor, new InspectQueueFor("hot.example#2")));
    }

    [Fact]
    public void A_sub_queues_shard_goes_to_the_node_with_fewest_of_its_siblings_then_fewest_shards()
    {
        var (a, b, c) = (new Region("a"), new Region("b"), new Region("c"));
        IImmutableList<string> Shards(params string[] ids) => ImmutableList.Create(ids);

        // b holds the family's plain shard; a and c none: the less loaded of them.
        Assert.Same(c, SubQueueAllocation.Choose("17", [new(a, Shards("1", "2", "3")), new(b, Shards("17")), new(c, Shards("4"))]));
        // Every node holds one of the family: the least loaded overall.
        Assert.Same(b, SubQueueAllocation.Choose("17", [new(a, Shards("17", "2")), new(b, Shards("17#1")), new(c, Shards("17#2", "5"))]));
        // Other families do not count as siblings.
        Assert.Same(a, SubQueueAllocation.Choose("17", [new(a, Shards("18", "18#1", "18#2")), new(b, Shards("17"))]));
    }

    [Fact]
    public void The_split_is_read_from_its_keys_and_bad_values_name_them()
    {
        Assert.Equal(1, Read("").Queue.Split.PartsOf("any.example"));
        var split = Read("""
            tunnel.queue.split { "Hot.Example" = 4, "b.example" = 1 }
            tunnel.queue.split-default = 2
            """).Queue.Split;
        Assert.Equal((4, 1, 2), (split.PartsOf("hot.example"), split.PartsOf("b.example"), split.PartsOf("c.example")));

        foreach (var (hocon, key) in new[]
                 {
                     ("""tunnel.queue.split { "hot.example" = 0 }""", "tunnel.queue.split."),
                     ("""tunnel.queue.split { "hot.example" = 65 }""", "tunnel.queue.split."),
                     ("""tunnel.queue.split { "hot.example" = many }""", "tunnel.queue.split."),
                     ("""tunnel.queue.split { "not a domain!" = 2 }""", "tunnel.queue.split."),
                     ("tunnel.queue.split-default = 0", "tunnel.queue.split-default:"),
                 })
        {
            var problem = Assert.Throws<ConfigurationException>(() => Read(hocon));
            Assert.Contains(problem.Problems, p => p.StartsWith(key));
        }
    }

    private static string Shard(HashCodeMessageExtractor extractor, object message) => extractor.ShardId(extractor.EntityId(message)!, message);

    private static TunnelSettings Read(string hocon) => SettingsReader.Read(ConfigLoader.Overlay(hocon, ConfigLoader.Load(null, _ => null)));

    /// <summary>The extractor as it was before sub-queues: the entity id is the domain.</summary>
    private sealed class PlainExtractor(int shards) : HashCodeMessageExtractor(shards)
    {
        public override string? EntityId(object message) => (message as NewMail)?.Domain;
    }

    private sealed record InspectQueueFor(string Queue) : IDomainQueueCommand;

    private sealed class Region(string name) : MinimalActorRef
    {
        public override ActorPath Path { get; } = new RootActorPath(new Address("akka.tcp", "tunnel", name, 1)) / "region";
        public override IActorRefProvider Provider => throw new NotSupportedException();
    }
}
