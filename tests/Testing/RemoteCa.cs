using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Tunnel.Tests.Testing;

/// <summary>
/// A certificate authority made by the test (never a real one) for the servers the tunnel sends
/// to (MX hosts, MTA-STS policy hosts; <see cref="TestCa"/> is the one for the tunnel's own
/// certificates): a self-signed root that issues server certificates for the names a test chooses, with their private keys, and writes its
/// own certificate as a PEM bundle for <c>tunnel.outbound.tls-ca-file</c>.
/// </summary>
public sealed class RemoteCa : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public RemoteCa(string name = "Tunnel Test CA")
    {
        var request = new CertificateRequest($"CN={name}", _key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        Certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(60));
    }

    public X509Certificate2 Certificate { get; }

    /// <summary>The CA's certificate as a PEM file in a fresh temporary directory.</summary>
    public string WritePemBundle()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("tunnel-ca-").FullName, "ca.pem");
        File.WriteAllText(file, Certificate.ExportCertificatePem());
        return file;
    }

    /// <summary>A server certificate with its private key, issued by this CA for <paramref name="names"/> (subjectAltName dNSName).</summary>
    public X509Certificate2 Issue(params string[] names) => Issue(names, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10));

    public X509Certificate2 Issue(string[] names, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={names[0]}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names) san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7f;
        using var issued = request.Create(Certificate, notBefore, notAfter, serial);
        using var withKey = issued.CopyWithPrivateKey(key);
        // Through PKCS#12 so that SslStream can use the key on every platform.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>A self-signed certificate for <paramref name="names"/>: one that no CA vouches for.</summary>
    public static X509Certificate2 SelfSigned(params string[] names)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={names[0]}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names) san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    public void Dispose()
    {
        Certificate.Dispose();
        _key.Dispose();
    }
}
