using System.Diagnostics;

namespace Tunnel.Tests.Testing;

/// <summary>
/// A bounded wait for a condition that some other thread or process makes true. It polls rather than
/// sleeping a guessed amount, so tests are as fast as the system under test and fail with a reason.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    public static Task Until(Func<bool> condition, TimeSpan timeout, string what) =>
        Until(() => Task.FromResult(condition()), timeout, what);

    public static async Task Until(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var elapsed = Stopwatch.StartNew();
        using var poll = new PeriodicTimer(PollInterval);
        while (true)
        {
            var remaining = timeout - elapsed.Elapsed;
            try
            {
                // The condition itself is bounded too: a hung check must not outlive the deadline.
                if (await condition().WaitAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero))
                    return;
            }
            catch (TimeoutException)
            {
                throw Failed(timeout, what);
            }

            if (elapsed.Elapsed >= timeout)
                throw Failed(timeout, what);
            await poll.WaitForNextTickAsync();
        }
    }

    /// <summary>
    /// Like <see cref="Until(Func{bool}, TimeSpan, string)"/>, but answers whether the condition
    /// came true in time instead of throwing: for tests that count what did not happen (mail
    /// lost, queues frozen) and report the figures before they assert.
    /// </summary>
    public static Task<bool> Within(Func<bool> condition, TimeSpan timeout) =>
        Within(() => Task.FromResult(condition()), timeout);

    public static async Task<bool> Within(Func<Task<bool>> condition, TimeSpan timeout)
    {
        try
        {
            await Until(condition, timeout, "");
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private static TimeoutException Failed(TimeSpan timeout, string what) =>
        new($"Timed out after {timeout.TotalSeconds:0.###} s waiting until {what}");
}
