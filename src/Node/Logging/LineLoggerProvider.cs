using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Tunnel.Cluster.Observability;

namespace Tunnel.Node.Logging;

/// <summary>
/// Writes every log entry as one line on the node's output (standard output, or a test's
/// recorder): text for people, or one JSON object per line for log shippers
/// (<c>tunnel.log.format</c>). Text lines are "&lt;time&gt; &lt;category&gt; [&lt;level&gt;: ]&lt;message&gt;":
/// the mail log keeps Postfix's shape ("… mail 01M8…: to=&lt;…&gt;, relay=…, status=sent (…)"),
/// and the level is written only when it is not info. JSON lines carry time, level, category,
/// message and every field of a structured state (the mail log's queueId, to, relay, family,
/// delay, dsn, status, reply, …). The level (akka.loglevel) applies to everything but the mail
/// log, which is always written. Written synchronously, in order: the log is the record of
/// what the node did, and a line must be out before the event it reports is acted upon.
/// </summary>
public sealed class LineLoggerProvider(TextWriter output, bool json, LogLevel minimum = LogLevel.Information) : ILoggerProvider
{
    private readonly TextWriter _output = TextWriter.Synchronized(output);

    public ILogger CreateLogger(string categoryName) => new LineLogger(this, categoryName);

    public void Dispose() => _output.Flush();

    private static string ShortCategory(string category)
    {
        var dot = category.LastIndexOf('.');
        return dot < 0 ? category : category[(dot + 1)..];
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warning",
        LogLevel.Error => "error",
        _ => "fatal",
    };

    private void Write<TState>(string category, LogLevel level, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var time = DateTimeOffset.UtcNow;
        var message = formatter(state, exception);
        _output.WriteLine(json ? Json(time, category, level, message, state, exception) : Text(time, category, level, message, exception));
    }

    private static string Text(DateTimeOffset time, string category, LogLevel level, string message, Exception? exception)
    {
        var line = new StringBuilder($"{time:yyyy-MM-ddTHH:mm:ss.fffZ} {ShortCategory(category)} ");
        if (level != LogLevel.Information) line.Append(Level(level)).Append(": ");
        line.Append(message);
        if (exception is not null) line.Append(" (").Append(exception.GetType().Name).Append(": ").Append(exception.Message).Append(')');
        return line.ToString();
    }

    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Json<TState>(DateTimeOffset time, string category, LogLevel level, string message, TState state, Exception? exception)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, JsonOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("time", time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"));
            writer.WriteString("level", Level(level));
            writer.WriteString("category", category);
            writer.WriteString("message", message);
            if (state is IReadOnlyList<KeyValuePair<string, object?>> fields)
            {
                foreach (var (name, value) in fields)
                {
                    if (name == "{OriginalFormat}" || name is "time" or "level" or "category" or "message") continue;
                    WriteValue(writer, name, value);
                }
            }
            if (exception is not null) writer.WriteString("exception", exception.ToString());
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void WriteValue(Utf8JsonWriter writer, string name, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNull(name); break;
            case bool b: writer.WriteBoolean(name, b); break;
            case int i: writer.WriteNumber(name, i); break;
            case long l: writer.WriteNumber(name, l); break;
            case double d: writer.WriteNumber(name, d); break;
            case DateTimeOffset t: writer.WriteString(name, t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ")); break;
            default: writer.WriteString(name, value.ToString()); break;
        }
    }

    private sealed class LineLogger(LineLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        // The mail log is the record of every message, never debug output: akka.loglevel does not silence it.
        public bool IsEnabled(LogLevel logLevel) =>
            logLevel != LogLevel.None && logLevel >= (category == MailLog.Category ? LogLevel.Information : provider._minimum);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) provider.Write(category, logLevel, state, exception, formatter);
        }
    }

    private readonly LogLevel _minimum = minimum;
}
