using System.Net;
using System.Text.RegularExpressions;
using Tunnel.Node.Configuration;
using Tunnel.Tests.Testing;

namespace Tunnel.Tests.Integration;

/// <summary>
/// <see cref="TunnelWorld"/> with MTA-STS (RFC 8461) for example.com: the test DNS server serves
/// _mta-sts.example.com TXT "v=STSv1; id=1" and mta-sts.example.com A 127.0.0.1, where a
/// loopback HTTPS server with a certificate of the test's CA serves the policy. The node trusts
/// that CA (tunnel.outbound.tls-ca-file) and fetches from the server's port
/// (tunnel.outbound.mta-sts-port, 443 outside tests). example.com's sink (mx1.example.com on
/// [::1]) offers STARTTLS with the certificate the scenario gives it.
/// </summary>
internal sealed class MtaStsWorld : IAsyncDisposable
{
    private MtaStsWorld(RemoteCa ca, PolicyHttpsServer policyHost, TunnelWorld world)
    {
        Ca = ca;
        PolicyHost = policyHost;
        World = world;
    }

    public RemoteCa Ca { get; }
    public PolicyHttpsServer PolicyHost { get; }
    public TunnelWorld World { get; }

    public static string Policy(string mode, params string[] mx) =>
        $"version: STSv1\r\nmode: {mode}\r\n{string.Concat(mx.Select(m => $"mx: {m}\r\n"))}max_age: 86400\r\n";

    public static async Task<MtaStsWorld> StartAsync(string policy, Func<RemoteCa, System.Security.Cryptography.X509Certificates.X509Certificate2> mxCertificate)
    {
        var ca = new RemoteCa();
        var policyHost = PolicyHttpsServer.Start(IPAddress.Loopback, ca.Issue("mta-sts.example.com"));
        policyHost.Policy = policy;
        var world = await TunnelWorld.StartAsync(
            $"outbound.tls-ca-file = {ConfigLoader.Quote(ca.WritePemBundle())}\noutbound.mta-sts-port = {policyHost.EndPoint.Port}",
            (zone, _) => zone.Txt("_mta-sts.example.com", "v=STSv1; id=1").A("mta-sts.example.com", "127.0.0.1"));
        world.ExampleCom.Certificate = mxCertificate(ca);
        return new MtaStsWorld(ca, policyHost, world);
    }

    /// <summary>A counter of the node's /metrics, 0 when it has no sample yet.</summary>
    public async Task<double> MetricAsync(string sample)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://{World.Tunnel.Admin}/") };
        var text = await http.GetStringAsync("metrics");
        var match = Regex.Match(text, "^" + Regex.Escape(sample) + @" (\S+)$", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    public async ValueTask DisposeAsync()
    {
        await World.DisposeAsync();
        await PolicyHost.DisposeAsync();
        Ca.Dispose();
    }
}
