using Akka.Configuration;
using Tunnel.Node.Configuration;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// Which keys a node knows (those of the embedded cluster.hocon, read at run time), which keys of
/// a file it does not, and the known key an unknown one most likely means (issue 13, item 7).
/// New on this branch: on main the node had no such notion (an unknown key was ignored) and these
/// did not compile.
/// </summary>
public sealed class KnownKeysTests
{
    private static readonly KnownKeys Known = KnownKeys.From(ConfigurationFactory.ParseString(ConfigLoader.DefaultText()));

    private static IReadOnlyList<UnknownKey> UnknownIn(string hocon) =>
        Known.UnknownIn(ConfigurationFactory.ParseString(hocon), "f.hocon", hocon);

    [Theory]
    [InlineData("tunnel.relay.domains")]
    [InlineData("tunnel.smtp")]
    [InlineData("tunnel.queue.retry.first")]
    [InlineData("tunnel.outbound.family-policy-by-domain")]
    [InlineData("tunnel.outbound.family-policy-by-domain.\"gmail.com\"")] // an entry of a map
    [InlineData("akka.remote.whatever-akka-reads")]                       // Akka's block is Akka's
    public void Keys_of_the_defaults_and_entries_of_their_maps_are_known(string key)
    {
        Assert.True(Known.Knows(key));
    }

    [Fact]
    public void Every_environment_variable_sets_a_known_key()
    {
        Assert.All(ConfigLoader.Environment.Values, key => Assert.True(Known.Knows(key), key));
    }

    [Theory]
    [InlineData("tunnel.relay.domans = []", "tunnel.relay.domans", "tunnel.relay.domains")]
    [InlineData("tunnel.smtp.greting-delay = 1s", "tunnel.smtp.greting-delay", "tunnel.smtp.greeting-delay")]
    [InlineData("tunnel.tls.certficate = x", "tunnel.tls.certficate", "tunnel.tls.certificate")]
    [InlineData("tunnel { smpt { max-errors = 3 } }", "tunnel.smpt", "tunnel.smtp")]                     // only the outermost unknown key
    [InlineData("tunnel.smtp.verify-mx = on", "tunnel.smtp.verify-mx", "tunnel.relay.verify-mx")]        // right name, wrong section
    [InlineData("tunel.hostname = x", "tunel", "tunnel")]                                               // nothing reads a top-level block but tunnel and akka
    [InlineData("tunnel.queue.retry.firts = 1m", "tunnel.queue.retry.firts", "tunnel.queue.retry.first")]
    [InlineData("tunnel.hostname.short = x", "tunnel.hostname.short", null)]                            // nothing is known under a value
    [InlineData("tunnel.smtp.spam-filter = on", "tunnel.smtp.spam-filter", null)]                        // nothing close: no guess
    public void An_unknown_key_is_named_with_the_key_it_most_likely_means(string hocon, string key, string? meant)
    {
        var unknown = Assert.Single(UnknownIn(hocon));

        Assert.Equal(new UnknownKey(key, "f.hocon", 1, meant), unknown);
    }

    [Fact]
    public void Known_keys_maps_and_akka_pass()
    {
        Assert.Empty(UnknownIn("""
            tunnel {
              relay { domains = ["example.com"], verify-mx = off }
              outbound.family-policy-by-domain { "gmail.com" = ipv4-only, "example.org" = any }
              queue.retry.first = 1m
            }
            akka { loglevel = DEBUG, unheard-of = 1, cluster.split-brain-resolver.active-strategy = keep-oldest }
            """));
    }

    [Fact]
    public void Unknown_keys_come_in_the_order_of_the_file()
    {
        var unknown = UnknownIn("tunnel {\n  smtp.b = 1\n  relay.a = 1\n}\ntunnel.dns.c = 1\n");

        Assert.Equal([("tunnel.smtp.b", 2), ("tunnel.relay.a", 3), ("tunnel.dns.c", 5)], unknown.Select(u => (u.Key, u.Line ?? 0)));
    }

    [Fact]
    public void The_message_names_the_key_the_file_the_line_and_the_suggestion()
    {
        Assert.Equal("tunnel.relay.domans: unknown key (f.hocon:2); did you mean tunnel.relay.domains?",
            new UnknownKey("tunnel.relay.domans", "f.hocon", 2, "tunnel.relay.domains").Problem);
        Assert.Equal("tunnel.smtp.spam-filter: unknown key (f.hocon:7)", new UnknownKey("tunnel.smtp.spam-filter", "f.hocon", 7, null).Problem);
    }

    [Theory]
    [InlineData("domans", "domains", 1)]
    [InlineData("firts", "first", 1)] // a transposition is one edit
    [InlineData("", "abc", 3)]
    [InlineData("smtp", "relay", 5)]
    public void Edit_distance(string a, string b, int distance)
    {
        Assert.Equal(distance, KnownKeys.Distance(a, b));
        Assert.Equal(distance, KnownKeys.Distance(b, a));
    }
}
