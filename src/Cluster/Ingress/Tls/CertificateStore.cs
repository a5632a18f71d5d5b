namespace Tunnel.Cluster.Ingress.Tls;

/// <summary>
/// The node's current <see cref="ServerCertificates"/>, swapped atomically by <see cref="Reload"/>
/// and read by every STARTTLS handshake. A reload looks at each pair of files on its own: a pair
/// whose bytes changed is loaded again and replaces its predecessor; one that fails to load (a
/// half-written renewal, a key of another certificate) keeps serving the certificate it had, and
/// the failure is reported once per state of the files, not at every poll. Thread-safe: reloads
/// are serialised, reads take the current value without a lock.
/// </summary>
public sealed class CertificateStore(ServerCertificates initial)
{
    private readonly Lock _reloading = new();
    private readonly Dictionary<string, string> _failed = []; // key → fingerprint of the files that failed
    private volatile ServerCertificates _current = initial;

    public ServerCertificates Current => _current;

    /// <summary>Reads the files again; what changed and what could not be loaded (already reported failures are left out).</summary>
    public ReloadOutcome Reload()
    {
        lock (_reloading)
        {
            var current = _current;
            var loaded = new List<ServerCertificate>();
            var failed = new List<ReloadFailure>();
            var entries = current.All.Select(c => Next(c, loaded, failed)).ToList();
            if (loaded.Count > 0) _current = new ServerCertificates(entries[0], entries.Skip(1).ToList());
            return new ReloadOutcome(loaded, failed);
        }
    }

    private ServerCertificate Next(ServerCertificate current, List<ServerCertificate> loaded, List<ReloadFailure> failed)
    {
        var fingerprint = ServerCertificate.FingerprintOf(current.Files);
        if (fingerprint == current.Fingerprint)
        {
            _failed.Remove(current.Files.Key); // back as it was (a renewal undone): nothing to say
            return current;
        }
        try
        {
            var renewed = ServerCertificate.Load(current.Files);
            _failed.Remove(current.Files.Key);
            loaded.Add(renewed);
            return renewed;
        }
        catch (CertificateLoadException e)
        {
            if (!_failed.TryGetValue(current.Files.Key, out var seen) || seen != fingerprint) failed.Add(new ReloadFailure(current, e));
            _failed[current.Files.Key] = fingerprint;
            return current;
        }
    }
}

/// <param name="Loaded">Certificates now served in place of their predecessors.</param>
/// <param name="Failed">Files that changed but cannot be loaded; their old certificate is still served.</param>
public sealed record ReloadOutcome(IReadOnlyList<ServerCertificate> Loaded, IReadOnlyList<ReloadFailure> Failed);

/// <summary>A pair of files that changed and cannot be loaded: why, and the certificate still served in its place.</summary>
public sealed record ReloadFailure(ServerCertificate Kept, CertificateLoadException Error)
{
    public override string ToString() =>
        $"{Kept.Files.Key}: {Error.Message}; still serving {Kept.Name} (expires {Kept.NotAfterUtc:yyyy-MM-dd HH:mm} UTC)";
}
