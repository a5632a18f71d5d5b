using System.Globalization;
using Tunnel.Tests.Testing;

namespace Tunnel.Bench;

/// <summary>One line of a node's log (text format) and the time the node wrote it.</summary>
public readonly record struct LogLine(DateTimeOffset At, string Text)
{
    /// <summary>"2026-11-30T12:00:00.123Z mail 0ABC…: to=&lt;…&gt;, … status=deferred (…)" → its time; null for other lines (start-up noise).</summary>
    public static LogLine? Parse(string line)
    {
        var space = line.IndexOf(' ');
        return space > 0 && DateTimeOffset.TryParseExact(line.AsSpan(0, space), "yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? new LogLine(at, line)
            : null;
    }

    /// <summary>A mail-log line (the "mail" category: received, queued, to=… status=…, destination down…).</summary>
    public bool IsMail => Text.Length > TimeLength && Text.AsSpan(TimeLength).StartsWith(" mail ");

    private const int TimeLength = 24; // yyyy-MM-ddTHH:mm:ss.fffZ
}

/// <summary>
/// Reads a node's standard output as it grows, each line once: the scenarios watch the mail log
/// for deliveries, deferrals and "destination down" without rescanning what they have seen.
/// </summary>
public sealed class NodeLog(NodeProcess node)
{
    private int _read;

    public NodeProcess Node => node;

    /// <summary>The timed lines written since the last call.</summary>
    public IReadOnlyList<LogLine> ReadNew()
    {
        var all = node.Output;
        var lines = new List<LogLine>(Math.Max(0, all.Count - _read));
        for (var i = _read; i < all.Count; i++)
            if (LogLine.Parse(all[i]) is { } line) lines.Add(line);
        _read = all.Count;
        return lines;
    }
}
