using System.Net;

namespace Tunnel.Tests.Testing;

/// <summary>
/// A real Postfix (Debian's package) as an IPv4-only sender that verifies TLS, run as a
/// <see cref="PrivatePostfix"/> listening for submissions on a loopback port. It never touches
/// the machine's Postfix, /etc/hosts or resolv.conf.
/// <para>
/// How it finds the tunnel without DNS: Postfix resolves with the system resolver, which the
/// test must not change, so a transport map sends <c>example.com</c> to <c>[127.0.0.1]:port</c>,
/// and smtp_tls_policy_maps makes that next hop <c>verify match=mx1.example.com</c>: the
/// certificate is checked against the MX host name exactly as for an MX lookup
/// (smtp_tls_verify_cert_match = hostname), with SNI mx1.example.com (smtp_tls_servername,
/// Postfix 3.4+), against the test's CA only (smtp_tls_CAfile).
/// </para>
/// Postfix needs root to start (its master drops to the postfix user); test.sh runs as root.
/// </summary>
public sealed class PostfixSender : IAsyncDisposable
{
    private readonly PrivatePostfix _postfix;

    private PostfixSender(PrivatePostfix postfix, IPEndPoint submission)
    {
        _postfix = postfix;
        Submission = submission;
    }

    /// <summary>Where the test hands it mail (SMTP, from 127.0.0.0/8: relayed).</summary>
    public IPEndPoint Submission { get; }

    public string MailLogFile => _postfix.MailLogFile;

    public string MailLog => _postfix.MailLog;

    /// <param name="nextHop">The tunnel node (IPv4) that mail for <paramref name="domain"/> goes to.</param>
    /// <param name="mxHost">The name the tunnel stands in for: SNI, and what the certificate must match.</param>
    public static async Task<PostfixSender> StartAsync(IPEndPoint nextHop, string domain, string mxHost, string caFile)
    {
        var submission = new IPEndPoint(IPAddress.Loopback, FreePorts.Next());
        var hop = $"[{nextHop.Address}]:{nextHop.Port}";
        var postfix = await PrivatePostfix.StartAsync("tunnel-postfix-", [submission], directory => $"""
            myhostname = postfix.ip4only.example
            mydomain = ip4only.example
            myorigin = $myhostname
            mydestination =
            local_transport = error:no local delivery here
            inet_interfaces = 127.0.0.1
            inet_protocols = ipv4
            mynetworks = 127.0.0.0/8
            smtpd_relay_restrictions = permit_mynetworks, reject
            transport_maps = texthash:{directory}/etc/transport
            smtp_tls_security_level = verify
            smtp_tls_verify_cert_match = hostname
            smtp_tls_CAfile = {directory}/etc/ca.pem
            smtp_tls_policy_maps = texthash:{directory}/etc/tls_policy
            smtp_tls_servername = {mxHost}
            smtp_tls_loglevel = 1
            smtp_connect_timeout = 10s
            """, _ => new Dictionary<string, string>
        {
            ["transport"] = $"{domain} smtp:{hop}\n",
            ["tls_policy"] = $"{hop} verify match={mxHost}\n",
            // A copy its daemons can read, whatever the test's directory allows.
            ["ca.pem"] = File.ReadAllText(caFile),
        });
        return new PostfixSender(postfix, submission);
    }

    /// <summary>postqueue -p: what waits in its queue, with the reason of the last attempt.</summary>
    public async Task<string> QueueAsync() => (await PrivatePostfix.RunAsync("/usr/sbin/postqueue", "-c", _postfix.Config, "-p")).Output;

    public ValueTask DisposeAsync() => _postfix.DisposeAsync();
}
