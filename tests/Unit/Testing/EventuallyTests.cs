using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Unit.Testing;

public sealed class EventuallyTests
{
    [Fact]
    public async Task Returns_once_the_condition_holds()
    {
        var polls = 0;
        await Eventually.Until(() => ++polls >= 3, TimeSpan.FromSeconds(5), "the third poll");
        Assert.Equal(3, polls);
    }

    [Fact]
    public async Task Throws_a_timeout_naming_what_it_waited_for()
    {
        var error = await Assert.ThrowsAsync<TimeoutException>(() =>
            Eventually.Until(() => false, TimeSpan.FromMilliseconds(100), "pigs fly"));

        Assert.Contains("pigs fly", error.Message);
    }

    [Fact]
    public async Task Bounds_an_async_condition_that_never_completes()
    {
        var never = new TaskCompletionSource<bool>();

        await Assert.ThrowsAsync<TimeoutException>(() =>
            Eventually.Until(() => never.Task, TimeSpan.FromMilliseconds(100), "a hung check"));
    }
}
