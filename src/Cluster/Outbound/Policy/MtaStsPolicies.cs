using System.Collections.Concurrent;
using System.Data.Common;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Tunnel.Cluster.Routing;
using Tunnel.Cluster.Spool;

namespace Tunnel.Cluster.Outbound.Policy;

/// <summary>
/// Destinations' MTA-STS policies (RFC 8461): the _mta-sts TXT record through the node's
/// resolver (§3.1), the policy fetched over HTTPS from mta-sts.&lt;domain&gt; with a certificate
/// valid for that name (§3.3), and kept for its max_age (§5.1). A kept policy is used while it
/// is fresh and the TXT id has not changed; a new id means a new fetch; a fetch or lookup that
/// fails leaves the kept policy in force, and without one the domain has none (§5: a sender
/// must not fail delivery for want of a policy). Policies are kept in this node's memory and,
/// with a <paramref name="shared"/> spool, in the cluster's database, so that the nodes of a
/// cluster fetch each policy once. Owns: the fetch and the cache. Does not own: what a policy
/// means for a connection (<see cref="TlsRequirement"/>).
/// </summary>
public sealed class MtaStsPolicies(RouteResolver resolver, OutboundTlsSettings settings, SpoolStore? shared = null)
{
    private sealed record Cached(MtaStsPolicy Policy, DateTimeOffset Expires);

    private readonly ConcurrentDictionary<string, Cached> _cache = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Domains whose _mta-sts TXT lookup answered "no record" (most domains), and until when that
    /// answer stands without asking again: without it every delivery attempt cost a DNS query and
    /// a database read (issue 16: 0.2–0.5 ms of CPU per message). A domain that starts publishing
    /// a policy is seen within this time.
    /// </summary>
    private readonly ConcurrentDictionary<string, DateTimeOffset> _noRecord = new(StringComparer.OrdinalIgnoreCase);
    public static readonly TimeSpan NoRecordFor = TimeSpan.FromMinutes(5);
    private const int MaxNoRecord = 100_000;

    /// <summary>Fetches this node made since start (a test sees the cache at work).</summary>
    public int Fetches => Volatile.Read(ref _fetches);
    private int _fetches;

    /// <summary>Why the last fetch for a domain failed, for the operator (and tests).</summary>
    public string? LastProblem(string domain) => _problems.GetValueOrDefault(domain);
    private readonly ConcurrentDictionary<string, string> _problems = new(StringComparer.OrdinalIgnoreCase);

    /// <returns>The domain's policy in force, or null when it has none that applies.</returns>
    public async Task<MtaStsPolicy?> PolicyAsync(string domain, CancellationToken cancel)
    {
        var now = DateTimeOffset.UtcNow;
        domain = domain.TrimEnd('.').ToLowerInvariant();
        var kept = _cache.TryGetValue(domain, out var entry) && entry.Expires > now ? entry.Policy : null;
        if (kept is null && _noRecord.TryGetValue(domain, out var until) && until > now) return null;
        var records = await resolver.TextAsync($"_mta-sts.{domain}", cancel);
        var id = records is null ? null : MtaStsRecord.Id(records);
        if (kept is not null && (id is null || kept.Id == id)) return kept;

        // Another node may have fetched it already (and keeps it for its max_age, record or not).
        if (await SharedAsync(domain, now, cancel) is { } stored && (id is null || stored.Policy.Id == id))
        {
            _cache[domain] = stored;
            return stored.Policy;
        }
        if (id is null)
        {
            if (records is not null) RememberNoRecord(domain, now); // a lookup that failed is asked again next time
            return kept;
        }
        _noRecord.TryRemove(domain, out _);

        Interlocked.Increment(ref _fetches);
        var (policy, text, problem) = await FetchAsync(domain, id, cancel);
        if (policy is null)
        {
            _problems[domain] = problem!;
            return kept;
        }
        _problems.TryRemove(domain, out _);
        _cache[domain] = new Cached(policy, now + policy.MaxAge);
        if (shared is not null)
        {
            try { await shared.PutMtaStsPolicyAsync(new StoredMtaStsPolicy(domain, id, text!, now, now + policy.MaxAge)); }
            catch (Exception e) when (e is DbException or InvalidOperationException or IOException or TimeoutException)
            {
                // Kept on this node; the others fetch it themselves.
            }
        }
        return policy;
    }

    private void RememberNoRecord(string domain, DateTimeOffset now)
    {
        if (_noRecord.Count >= MaxNoRecord)
            foreach (var (name, until) in _noRecord)
                if (until <= now) _noRecord.TryRemove(name, out _);
        if (_noRecord.Count < MaxNoRecord) _noRecord[domain] = now + NoRecordFor;
    }

    /// <summary>The policy the cluster keeps for the domain, when it is fresh and still parses; null otherwise or when the database fails.</summary>
    private async Task<Cached?> SharedAsync(string domain, DateTimeOffset now, CancellationToken cancel)
    {
        if (shared is null) return null;
        StoredMtaStsPolicy? stored;
        try { stored = await shared.MtaStsPolicyAsync(domain, cancel); }
        catch (Exception e) when (e is DbException or InvalidOperationException or IOException or TimeoutException) { return null; }
        if (stored is null || stored.ExpiresAt <= now) return null;
        return MtaStsPolicy.Parse(stored.Text, stored.Id).Policy is { } policy ? new Cached(policy, stored.ExpiresAt) : null;
    }

    private async Task<(MtaStsPolicy? Policy, string? Text, string? Problem)> FetchAsync(string domain, string id, CancellationToken cancel)
    {
        var host = $"mta-sts.{domain}";
        using var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false, // §3.3: "HTTP 3xx redirects MUST NOT be followed"
            UseProxy = false,
            UseCookies = false,
            ConnectCallback = (context, token) => ConnectAsync(context.DnsEndPoint.Host, token),
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, chain, _) => certificate is not null
                    && CertificateCheck.Problem(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()), CertificateCheck.Presented(chain),
                        host, settings.TrustedCas, DateTimeOffset.UtcNow) is null,
            },
        };
        using var http = new HttpClient(handler) { Timeout = settings.FetchTimeout };
        try
        {
            using var response = await http.GetAsync($"https://{host}/.well-known/mta-sts.txt", HttpCompletionOption.ResponseHeadersRead, cancel);
            if (response.StatusCode != HttpStatusCode.OK) return (null, null, $"{host} answered HTTP {(int)response.StatusCode}"); // §3.3: only 200
            await using var body = await response.Content.ReadAsStreamAsync(cancel);
            var buffer = new byte[MtaStsPolicy.MaxBodyBytes + 1];
            var read = 0;
            for (int n; read < buffer.Length && (n = await body.ReadAsync(buffer.AsMemory(read), cancel)) > 0;) read += n;
            if (read > MtaStsPolicy.MaxBodyBytes) return (null, null, $"policy from {host} is larger than {MtaStsPolicy.MaxBodyBytes} bytes");
            var text = Encoding.UTF8.GetString(buffer, 0, read);
            var (policy, problem) = MtaStsPolicy.Parse(text, id);
            return (policy, text, problem is null ? null : $"policy from {host}: {problem}");
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException && !cancel.IsCancellationRequested)
        {
            return (null, null, $"fetching the policy from {host} failed: {e.InnerException?.Message ?? e.Message}");
        }
    }

    /// <summary>The policy host through the node's resolver (the one MX lookups use), on <see cref="OutboundTlsSettings.MtaStsPort"/>.</summary>
    private async ValueTask<Stream> ConnectAsync(string host, CancellationToken cancel)
    {
        var (addresses, problem) = await resolver.HostAddressesAsync(host, cancel);
        if (addresses.Count == 0) throw new HttpRequestException(problem ?? $"{host} has no address");
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, settings.MtaStsPort), cancel);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw new HttpRequestException($"connect to {host} port {settings.MtaStsPort}: {last?.SocketErrorCode}", last);
    }
}
