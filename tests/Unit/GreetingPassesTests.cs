using System.Net;
using Tunnel.Cluster.Ingress;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// The memory of clients that passed the pre-greet test (issue 13, item 6): time is passed in,
/// so a day is a number here. New on this branch: on main every connection was tested and this
/// type did not exist (these did not compile).
/// </summary>
public sealed class GreetingPassesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);
    private static readonly IPAddress A = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress B = IPAddress.Parse("192.0.2.2");
    private static readonly IPAddress C = IPAddress.Parse("2001:db8::1");

    [Fact]
    public void A_pass_holds_for_the_ttl_and_no_longer()
    {
        var passes = new GreetingPasses(Day, max: 10);
        Assert.False(passes.Holds(A, T0));

        passes.Passed(A, T0);

        Assert.True(passes.Holds(A, T0));
        Assert.True(passes.Holds(A, T0 + Day - TimeSpan.FromSeconds(1)));
        Assert.False(passes.Holds(A, T0 + Day));
        Assert.False(passes.Holds(B, T0));
    }

    [Fact]
    public void Connections_let_through_do_not_renew_a_pass()
    {
        var passes = new GreetingPasses(Day, max: 10);
        passes.Passed(A, T0);

        for (var hour = 1; hour < 24; hour++) Assert.True(passes.Holds(A, T0 + TimeSpan.FromHours(hour)));

        Assert.False(passes.Holds(A, T0 + Day));
    }

    [Fact]
    public void An_early_talker_is_forgotten()
    {
        var passes = new GreetingPasses(Day, max: 10);
        passes.Passed(A, T0);

        passes.TalkedEarly(A);

        Assert.False(passes.Holds(A, T0 + TimeSpan.FromSeconds(1)));
        Assert.Equal(0, passes.Count);
    }

    [Fact]
    public void Past_the_bound_the_oldest_pass_goes_first()
    {
        var passes = new GreetingPasses(Day, max: 2);
        passes.Passed(A, T0);
        passes.Passed(B, T0 + TimeSpan.FromMinutes(1));

        passes.Passed(C, T0 + TimeSpan.FromMinutes(2));

        var now = T0 + TimeSpan.FromMinutes(3);
        Assert.False(passes.Holds(A, now));
        Assert.True(passes.Holds(B, now));
        Assert.True(passes.Holds(C, now));
        Assert.Equal(2, passes.Count);
    }

    [Fact]
    public void A_second_pass_counts_from_its_own_time()
    {
        var passes = new GreetingPasses(Day, max: 2);
        passes.Passed(A, T0);
        passes.Passed(B, T0 + TimeSpan.FromMinutes(1));
        passes.Passed(A, T0 + TimeSpan.FromMinutes(2)); // a concurrent connection of A's passed too: A is now the newest

        passes.Passed(C, T0 + TimeSpan.FromMinutes(3));

        Assert.True(passes.Holds(A, T0 + Day + TimeSpan.FromMinutes(1)));
        Assert.False(passes.Holds(B, T0 + TimeSpan.FromMinutes(4)));
    }

    [Fact]
    public void Expired_passes_make_room()
    {
        var passes = new GreetingPasses(Day, max: 10);
        passes.Passed(A, T0);
        passes.Passed(B, T0 + TimeSpan.FromHours(1));

        passes.Passed(C, T0 + Day + TimeSpan.FromMinutes(30));

        Assert.Equal(2, passes.Count); // A expired and was dropped; B is still within its day
    }

    [Fact]
    public void A_zero_ttl_remembers_nothing()
    {
        var passes = new GreetingPasses(TimeSpan.Zero, max: 10);

        passes.Passed(A, T0);

        Assert.False(passes.Holds(A, T0));
        Assert.Equal(0, passes.Count);
    }

    [Fact]
    public void The_exact_address_passes_not_its_network()
    {
        var passes = new GreetingPasses(Day, max: 10);
        passes.Passed(IPAddress.Parse("2001:db8:1::1"), T0);
        passes.Passed(IPAddress.Parse("::ffff:198.51.100.7"), T0);

        Assert.False(passes.Holds(IPAddress.Parse("2001:db8:1::2"), T0)); // same /64, another host
        Assert.True(passes.Holds(IPAddress.Parse("198.51.100.7"), T0));   // IPv4-mapped is the IPv4 address
    }

    [Fact]
    public void A_client_forgotten_and_passed_over_and_over_stays_within_the_bound()
    {
        var passes = new GreetingPasses(Day, max: 3);
        for (var i = 0; i < 1000; i++)
        {
            var now = T0 + TimeSpan.FromSeconds(i);
            passes.Passed(A, now);
            passes.TalkedEarly(A);
            passes.Passed(IPAddress.Parse($"198.51.100.{i % 200}"), now);
        }

        Assert.Equal(3, passes.Count);
        Assert.True(passes.Holds(IPAddress.Parse("198.51.100.199"), T0 + TimeSpan.FromSeconds(1000)));
        Assert.False(passes.Holds(A, T0 + TimeSpan.FromSeconds(1000)));
    }
}
