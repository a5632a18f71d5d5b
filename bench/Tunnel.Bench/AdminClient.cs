using System.Globalization;
using System.Text.Json;

namespace Tunnel.Bench;

/// <summary>What `tunnel queue stats` says of one domain: its messages and, when it is down, when it is probed next.</summary>
public sealed record DomainQueueStats(string Domain, string Node, int Messages, DateTimeOffset? DownUntil);

/// <summary>
/// The few questions the scenarios ask a node's admin endpoint (src/Node/Admin): a gauge from
/// /metrics (Prometheus text) and the cluster-wide queue stats (/v1/queue/stats, what
/// `tunnel queue stats` prints). Every call is bounded; a node that does not answer in time
/// gives null, and the figure is reported as n/a rather than guessed.
/// </summary>
public sealed class AdminClient(string endpoint) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri($"http://{endpoint}/"), Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>A gauge without labels, e.g. tunnel_queue_messages; null when absent or unanswered.</summary>
    public async Task<double?> GaugeAsync(string name, TimeSpan timeout)
    {
        var text = await GetAsync("metrics", timeout);
        if (text is null) return null;
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(name + " ", StringComparison.Ordinal)) continue;
            return double.TryParse(line.AsSpan(name.Length + 1).Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null;
        }
        return null;
    }

    /// <summary>The whole /metrics page; null when unanswered.</summary>
    public Task<string?> MetricsAsync(TimeSpan timeout) => GetAsync("metrics", timeout);

    /// <summary>Every domain queue with mail or down, as the cluster answered; null when it did not answer in time.</summary>
    public async Task<IReadOnlyList<DomainQueueStats>?> QueueStatsAsync(TimeSpan timeout)
    {
        var text = await GetAsync("v1/queue/stats", timeout);
        if (text is null) return null;
        using var json = JsonDocument.Parse(text);
        if (!json.RootElement.TryGetProperty("domains", out var domains)) return null;
        return domains.EnumerateArray().Select(d => new DomainQueueStats(
            d.GetProperty("domain").GetString()!,
            d.TryGetProperty("node", out var node) ? node.GetString() ?? "" : "",
            d.GetProperty("messages").GetInt32(),
            d.TryGetProperty("downUntil", out var until) && until.ValueKind == JsonValueKind.String ? until.GetDateTimeOffset() : null)).ToList();
    }

    private async Task<string?> GetAsync(string path, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            using var response = await _http.GetAsync(path, cancel.Token);
            return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync(cancel.Token) : null;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            return null;
        }
    }

    public void Dispose() => _http.Dispose();
}
