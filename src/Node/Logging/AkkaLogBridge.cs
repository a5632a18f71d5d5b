using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Dispatch;
using Akka.Event;
using Microsoft.Extensions.Logging;

namespace Tunnel.Node.Logging;

/// <summary>The node's logger factory, handed to the actor system at creation (no static state: several nodes may share a process).</summary>
public sealed class LoggerFactorySetup(ILoggerFactory factory) : Setup
{
    public ILoggerFactory Factory { get; } = factory;
}

/// <summary>
/// Akka's logger (<c>akka.loggers</c>) that passes every Akka log event on to
/// Microsoft.Extensions.Logging, so actors' logs (ours through <c>Context.GetLogger()</c> and
/// Akka's own) come out in the same lines, text or JSON, as the mail log and the node's. The
/// category is the class that logged; the actor path goes along as the field "source".
/// </summary>
public sealed class AkkaLogBridge : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private readonly ILoggerFactory _factory;
    private readonly Dictionary<string, ILogger> _loggers = [];

    public AkkaLogBridge()
    {
        _factory = Context.System.Settings.Setup.Get<LoggerFactorySetup>().Value?.Factory
                   ?? throw new InvalidOperationException("the actor system was created without a LoggerFactorySetup");
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(Log);
    }

    private void Log(LogEvent e)
    {
        // Akka's own components log with a placeholder class and a source like "Cluster (akka://tunnel)".
        var category = e.LogClass is { } type && type.Name != "DummyClassForStringSources"
            ? type.FullName ?? type.Name
            : "Akka." + (e.LogSource?.Split(' ', 2)[0] ?? "System");
        if (!_loggers.TryGetValue(category, out var logger)) _loggers[category] = logger = _factory.CreateLogger(category);
        var level = e.LogLevel() switch
        {
            Akka.Event.LogLevel.DebugLevel => Microsoft.Extensions.Logging.LogLevel.Debug,
            Akka.Event.LogLevel.InfoLevel => Microsoft.Extensions.Logging.LogLevel.Information,
            Akka.Event.LogLevel.WarningLevel => Microsoft.Extensions.Logging.LogLevel.Warning,
            _ => Microsoft.Extensions.Logging.LogLevel.Error,
        };
        if (!logger.IsEnabled(level)) return;
        var text = e.Message?.ToString() ?? "";
        IReadOnlyList<KeyValuePair<string, object?>> state =
        [
            new("source", e.LogSource),
            new("{OriginalFormat}", text),
        ];
        logger.Log(level, default, state, e.Cause, (_, _) => text);
    }
}
