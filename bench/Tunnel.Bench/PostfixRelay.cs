using System.Net;
using Tunnel.Tests.Testing;

namespace Tunnel.Bench;

/// <summary>
/// A private Postfix (Debian's package, as shipped: queue files fsynced before 250) used as the
/// reference relay of <c>--scenario versus</c>: a <see cref="PrivatePostfix"/> with smtpd on
/// 127.0.0.1 and ::1 at a free port, every bench domain relayed to the sink MX
/// (<c>relayhost = [::1]:port</c>), no DNS and no peer-name lookups. Needs root, as Postfix's
/// master does; nothing of the machine's own Postfix is touched.
/// </summary>
public sealed class PostfixRelay : IAsyncDisposable
{
    private readonly PrivatePostfix _postfix;

    private PostfixRelay(PrivatePostfix postfix, IReadOnlyList<IPEndPoint> smtp, int masterPid)
    {
        _postfix = postfix;
        Smtp = smtp;
        MasterPid = masterPid;
    }

    public IReadOnlyList<IPEndPoint> Smtp { get; }

    /// <summary>Postfix's master: its CPU and that of every daemon it ran (see <see cref="ProcessSample.TreeCpu"/>).</summary>
    public int MasterPid { get; }

    public string MailLog => _postfix.MailLogFile;

    public static async Task<PostfixRelay> StartAsync(int sinkPort)
    {
        var port = FreePorts.Next();
        IReadOnlyList<IPEndPoint> smtp = [new IPEndPoint(IPAddress.Loopback, port), new IPEndPoint(IPAddress.IPv6Loopback, port)];
        // Debian's defaults, plus what makes a plain relay to the sink; durability is left as shipped.
        var postfix = await PrivatePostfix.StartAsync("tunnel-bench-postfix-", smtp, _ => $"""
            myhostname = postfix.bench.test
            mydestination =
            inet_protocols = all
            mynetworks = 127.0.0.0/8 [::1]/128
            relay_domains = bench.test, .bench.test
            relayhost = [::1]:{sinkPort}
            smtpd_peername_lookup = no
            """);
        if (await postfix.MasterPidAsync() is not { } pid)
        {
            await postfix.DisposeAsync();
            throw new InvalidOperationException("the private Postfix listens but wrote no master.pid");
        }
        return new PostfixRelay(postfix, smtp, pid);
    }

    public ValueTask DisposeAsync() => _postfix.DisposeAsync();
}
