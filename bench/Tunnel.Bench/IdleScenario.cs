using System.Diagnostics;
using System.Net.Sockets;

namespace Tunnel.Bench;

/// <summary>
/// K sessions that connect, get the greeting, say EHLO and then wait, like MTAs keeping
/// connections open between messages. The node's resident memory is read before and with all of
/// them open; the difference divided by K is what one idle session costs. Sessions are opened at
/// most <see cref="OpenAtOnce"/> at a time (the listen backlog is finite) and all closed at the end.
/// </summary>
public sealed class IdleScenario(BenchRig rig, BenchOptions options)
{
    private const int OpenAtOnce = 64;
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(3);

    public async Task<IdleResult> RunAsync(CancellationToken cancel)
    {
        await Task.Delay(Settle, cancel); // the node's start-up garbage and threads settle
        var before = Sample();
        LoadScenario.Log($"opening {options.Idle} idle sessions");

        var clients = new SmtpLoadClient?[options.Idle];
        var problems = new List<string>();
        var failed = 0;
        var opening = Stopwatch.StartNew();
        using (var gate = new SemaphoreSlim(OpenAtOnce))
        {
            await Task.WhenAll(Enumerable.Range(0, options.Idle).Select(async i =>
            {
                await gate.WaitAsync(cancel);
                try
                {
                    clients[i] = await SmtpLoadClient.OpenAsync(rig.Smtp[i % rig.Smtp.Count], cancel);
                }
                catch (Exception e) when (e is IOException or SocketException or OperationCanceledException && !cancel.IsCancellationRequested)
                {
                    Interlocked.Increment(ref failed);
                    lock (problems) if (problems.Count < 20) problems.Add($"session {i}: {e.Message}");
                }
                finally
                {
                    gate.Release();
                }
            }));
        }
        var openSeconds = opening.Elapsed.TotalSeconds;
        try
        {
            await Task.Delay(Settle, cancel);
            var with = Sample();
            var answers = await StillAnswersAsync(cancel);
            var opened = options.Idle - failed;
            double? perSession = before is not null && with is not null && opened > 0
                ? Math.Round((double)(with.RssBytes - before.RssBytes) / opened, 1) : null;
            return new IdleResult("idle", options.Idle, opened, failed, Math.Round(openSeconds, 3),
                before?.RssBytes, with?.RssBytes, perSession, with?.PeakRssBytes, before?.Threads, with?.Threads, answers, problems);
        }
        finally
        {
            foreach (var client in clients)
                if (client is not null) await client.DisposeAsync();
        }
    }

    /// <summary>With K sessions open, can one more client still get a session going?</summary>
    private async Task<bool> StillAnswersAsync(CancellationToken cancel)
    {
        try
        {
            await using var probe = await SmtpLoadClient.OpenAsync(rig.Smtp[0], cancel);
            await probe.QuitAsync(cancel);
            return true;
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            LoadScenario.Log($"probe session failed: {e.Message}");
            return false;
        }
    }

    private ProcessSample? Sample() => rig.NodePid is { } pid ? ProcessSample.Of(pid) : null;
}
