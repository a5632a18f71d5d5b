using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Tunnel.Cluster.Ingress;

/// <summary>
/// The server side of STARTTLS (RFC 3207): a TLS handshake over the connection's stream with the
/// certificate of <c>tunnel.tls</c>, bounded in time. Any bytes the client sent before the
/// handshake are the caller's to throw away (§4.2 and the command-injection attacks of
/// CVE-2011-0411); this helper only reads what the TLS layer reads.
/// </summary>
public static class TlsUpgrade
{
    public static async Task<SslStream> AuthenticateAsync(Stream connection, X509Certificate2 certificate, TimeSpan timeout)
    {
        var tls = new SslStream(connection, leaveInnerStreamOpen: false);
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = certificate,
                ClientCertificateRequired = false,
                // TLS 1.2 and 1.3 only (RFC 8996 deprecates 1.0 and 1.1).
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            }, deadline.Token);
            return tls;
        }
        catch
        {
            await tls.DisposeAsync();
            throw;
        }
    }
}
