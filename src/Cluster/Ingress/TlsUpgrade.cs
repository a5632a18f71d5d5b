using System.Net.Security;
using System.Security.Authentication;
using Tunnel.Cluster.Ingress.Tls;

namespace Tunnel.Cluster.Ingress;

/// <summary>
/// The server side of STARTTLS (RFC 3207): a TLS handshake over the connection's stream, bounded
/// in time, with the certificate the client's SNI asks for (<see cref="ServerCertificates.Select"/>,
/// read from the store at the handshake so that a reload counts from the next one). Any bytes the
/// client sent before the handshake are the caller's to throw away (§4.2 and the
/// command-injection attacks of CVE-2011-0411); this helper only reads what the TLS layer reads.
/// </summary>
public static class TlsUpgrade
{
    /// <param name="chosen">Told the label of the certificate chosen, once the ClientHello is read (also when the handshake then fails).</param>
    public static async Task<SslStream> AuthenticateAsync(Stream connection, CertificateStore certificates, TimeSpan timeout, Action<string> chosen)
    {
        var tls = new SslStream(connection, leaveInnerStreamOpen: false);
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await tls.AuthenticateAsServerAsync((_, hello, _, _) =>
            {
                // RFC 6066 §3: the name the client expects; empty when it sent none.
                var (certificate, label) = certificates.Current.Select(hello.ServerName);
                chosen(label);
                return ValueTask.FromResult(new SslServerAuthenticationOptions
                {
                    // The context carries the intermediates of the PEM file: they go out in the handshake.
                    ServerCertificateContext = certificate.Context,
                    ClientCertificateRequired = false,
                    // TLS 1.2 and 1.3 only (RFC 8996 deprecates 1.0 and 1.1).
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                });
            }, null, deadline.Token);
            return tls;
        }
        catch
        {
            await tls.DisposeAsync();
            throw;
        }
    }
}
