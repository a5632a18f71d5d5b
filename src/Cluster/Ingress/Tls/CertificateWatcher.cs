using Akka.Actor;
using Akka.Event;
using Tunnel.Cluster.Observability;

namespace Tunnel.Cluster.Ingress.Tls;

/// <summary>
/// Picks up renewed certificates without a restart (certbot replaces the files in place): every
/// <c>tunnel.tls.reload-interval</c> it has the <see cref="CertificateStore"/> read the files
/// again, and logs what it now serves, or why a changed pair could not be loaded and what is
/// served instead. Polling, not inotify: it works the same on every file system (NFS, bind
/// mounts, Kubernetes secrets that swap a symlink) and costs a few reads a minute. Owns the time;
/// what changed and what to keep is the store's. <see cref="ReloadNow"/> does the same at once
/// and answers with the <see cref="ReloadOutcome"/> (<c>TunnelNode.ReloadCertificatesAsync</c>,
/// which the tests use to reload deterministically).
/// </summary>
public sealed class CertificateWatcher : ReceiveActor, IWithTimers
{
    /// <summary>Read the files now; the answer is the <see cref="ReloadOutcome"/>.</summary>
    public sealed record ReloadNow
    {
        public static readonly ReloadNow Instance = new();
    }

    private sealed record Poll;

    private readonly CertificateStore _store;
    private readonly TunnelMetrics _metrics;
    private readonly TimeSpan _interval;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(CertificateStore store, TunnelMetrics metrics, TimeSpan interval) =>
        Akka.Actor.Props.Create(() => new CertificateWatcher(store, metrics, interval));

    public CertificateWatcher(CertificateStore store, TunnelMetrics metrics, TimeSpan interval)
    {
        _store = store;
        _metrics = metrics;
        _interval = interval;
        Receive<Poll>(_ => Reload());
        Receive<ReloadNow>(_ => Sender.Tell(Reload()));
    }

    protected override void PreStart() => Timers.StartPeriodicTimer("poll", new Poll(), _interval);

    private ReloadOutcome Reload()
    {
        var outcome = _store.Reload();
        foreach (var loaded in outcome.Loaded)
        {
            _metrics.CertificateReloaded(loaded: true);
            _log.Info("TLS certificate reloaded: {0} now serves {1} (names {2}; expires {3:yyyy-MM-dd HH:mm} UTC)", loaded.Files.Key,
                loaded.Name, string.Join(", ", loaded.DnsNames), loaded.NotAfterUtc);
        }
        foreach (var failure in outcome.Failed)
        {
            _metrics.CertificateReloaded(loaded: false);
            _log.Warning("TLS certificate not reloaded: {0}", failure);
        }
        return outcome;
    }
}
