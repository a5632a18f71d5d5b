using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Tunnel.Tests.Testing;

/// <summary>
/// A certificate authority made by the test, never a real one: a root and an intermediate, both
/// in a temporary directory, issuing server certificates as certbot writes them (fullchain.pem:
/// the server's certificate, then the intermediate; privkey.pem). <see cref="RootFile"/> is what a
/// verifying client trusts (Postfix's smtp_tls_CAfile, openssl's -CAfile).
/// </summary>
public sealed class TestCa : IDisposable
{
    private readonly X509Certificate2 _intermediate;
    private long _serial = 1000;

    private TestCa(string directory, X509Certificate2 root, X509Certificate2 intermediate)
    {
        Directory = directory;
        Root = root;
        _intermediate = intermediate;
        RootFile = Path.Combine(directory, "ca.pem");
        File.WriteAllText(RootFile, root.ExportCertificatePem());
    }

    public string Directory { get; }
    public X509Certificate2 Root { get; }
    public string RootFile { get; }

    public static TestCa Create()
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("tunnel-test-ca-").FullName;
        var now = DateTimeOffset.UtcNow;
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=Tunnel Test Root CA, O=Tunnel tests", rootKey, HashAlgorithmName.SHA256);
        AddCaExtensions(rootRequest);
        var root = rootRequest.CreateSelfSigned(now.AddHours(-1), now.AddYears(2));

        var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var intermediateRequest = new CertificateRequest("CN=Tunnel Test Intermediate CA, O=Tunnel tests", intermediateKey, HashAlgorithmName.SHA256);
        AddCaExtensions(intermediateRequest);
        using var unkeyed = intermediateRequest.Create(root, now.AddHours(-1), now.AddYears(1).AddDays(30), [1]);
        return new TestCa(directory, root, unkeyed.CopyWithPrivateKey(intermediateKey));
    }

    /// <summary>A server certificate for <paramref name="names"/> (subjectAltName DNS names; the first is also the CN), written as {stem}.fullchain.pem and {stem}.key.pem.</summary>
    public (string Certificate, string Key) Issue(string stem, string[] names, TimeSpan? validFor = null)
    {
        var (certificatePem, keyPem) = IssuePem(names, validFor);
        var certificate = Path.Combine(Directory, $"{stem}.fullchain.pem");
        var key = Path.Combine(Directory, $"{stem}.key.pem");
        File.WriteAllText(certificate, certificatePem);
        File.WriteAllText(key, keyPem);
        return (certificate, key);
    }

    /// <summary>The PEM texts of a new certificate (chain) and key, for a test that writes them itself (a renewal).</summary>
    public (string Certificate, string Key) IssuePem(string[] names, TimeSpan? validFor = null)
    {
        var now = DateTimeOffset.UtcNow;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={names[0]}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names) san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // serverAuth
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_intermediate, true, false));
        var serial = BitConverter.GetBytes(Interlocked.Increment(ref _serial));
        using var certificate = request.Create(_intermediate, now.AddMinutes(-10), now + (validFor ?? TimeSpan.FromDays(90)), serial);
        return (certificate.ExportCertificatePem() + "\n" + _intermediate.ExportCertificatePem() + "\n", key.ExportPkcs8PrivateKeyPem() + "\n");
    }

    private static void AddCaExtensions(CertificateRequest request)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { /* a temp directory */ }
    }
}
