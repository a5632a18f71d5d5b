using System.Globalization;

namespace Tunnel.Node.Cli;

/// <summary>How the CLI writes ages, times and sizes for people (JSON keeps seconds, ISO times and bytes).</summary>
public static class Format
{
    /// <summary>"42s", "5m12s", "3h05m", "2d04h": the two largest units, like qshape's buckets read.</summary>
    public static string Age(double seconds)
    {
        var span = TimeSpan.FromSeconds(Math.Max(0, Math.Round(seconds)));
        if (span.TotalMinutes < 1) return $"{span.Seconds}s";
        if (span.TotalHours < 1) return $"{span.Minutes}m{span.Seconds:00}s";
        if (span.TotalDays < 1) return $"{(int)span.TotalHours}h{span.Minutes:00}m";
        return $"{(int)span.TotalDays}d{span.Hours:00}h";
    }

    /// <summary>A moment relative to now: "in 4m10s", "5m12s ago", "now".</summary>
    public static string When(DateTimeOffset? at, DateTimeOffset now)
    {
        if (at is not { } time) return "-";
        var seconds = (time - now).TotalSeconds;
        return Math.Abs(seconds) < 1 ? "now" : seconds > 0 ? $"in {Age(seconds)}" : $"{Age(-seconds)} ago";
    }

    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Bytes as mailq shows them, but shorter: "812", "1.2K", "35.0M".</summary>
    public static string Size(long bytes) => bytes switch
    {
        < 1024 => bytes.ToString(CultureInfo.InvariantCulture),
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + "K",
        _ => (bytes / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + "M",
    };

    /// <summary>"-" for a value the client did not give.</summary>
    public static string Dash(string? text) => string.IsNullOrEmpty(text) ? "-" : text;

    /// <summary>Cuts long text (replies, errors) for a table cell; --json and `queue show` keep it whole.</summary>
    public static string Cut(string? text, int length = 60) =>
        text is null ? "" : text.Length <= length ? text : text[..(length - 1)] + "…";
}
