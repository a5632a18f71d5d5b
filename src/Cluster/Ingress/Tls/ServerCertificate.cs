using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Tunnel.Cluster.Ingress.Tls;

/// <summary>
/// One certificate the node can serve: the leaf with its private key, the intermediates of its
/// PEM file (sent in the handshake, RFC 8446 §4.4.2: a client only has the roots), the DNS names
/// it covers, and a fingerprint of the files it came from (for the reload poll).
/// </summary>
public sealed class ServerCertificate
{
    private ServerCertificate(CertificateFiles files, X509Certificate2 leaf, SslStreamCertificateContext context, IReadOnlyList<string> names,
        string fingerprint)
    {
        Files = files;
        Leaf = leaf;
        Context = context;
        DnsNames = names;
        Fingerprint = fingerprint;
    }

    public CertificateFiles Files { get; }
    public X509Certificate2 Leaf { get; }

    /// <summary>Leaf, key and chain, built once here rather than at every handshake.</summary>
    public SslStreamCertificateContext Context { get; }

    /// <summary>The subjectAltName DNS names; only when there are none, the subject's CN (as OpenSSL's host check does).</summary>
    public IReadOnlyList<string> DnsNames { get; }

    /// <summary>Its first name: the label of its metrics and the name the CLI shows.</summary>
    public string Name => DnsNames.Count > 0 ? DnsNames[0] : Leaf.Subject;

    public DateTime NotAfterUtc => Leaf.NotAfter.ToUniversalTime();

    public string Fingerprint { get; }

    /// <summary>Hash of both files' bytes: what the reload poll compares (a renewal changes it; a touch does not).</summary>
    public static string FingerprintOf(CertificateFiles files)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in new[] { files.Certificate, files.PrivateKey })
        {
            try { hash.AppendData(File.ReadAllBytes(file)); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { hash.AppendData(System.Text.Encoding.UTF8.GetBytes("unreadable:" + file)); }
            hash.AppendData([0]);
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>Loads the pair, or says which file is wrong and why (missing, not PEM, key of another certificate, no name).</summary>
    /// <exception cref="CertificateLoadException"/>
    public static ServerCertificate Load(CertificateFiles files)
    {
        // The fingerprint is taken from the bytes read here, so that a file changing while it is
        // loaded is seen again by the next poll.
        var fingerprint = FingerprintOf(files);
        if (!File.Exists(files.Certificate)) throw new CertificateLoadException(files.Certificate, "does not exist");
        if (!File.Exists(files.PrivateKey)) throw new CertificateLoadException(files.PrivateKey, "does not exist");
        string certificatePem, keyPem;
        try
        {
            certificatePem = File.ReadAllText(files.Certificate);
            keyPem = File.ReadAllText(files.PrivateKey);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CertificateLoadException(files.Certificate, $"cannot be read: {e.Message}");
        }

        var chain = new X509Certificate2Collection();
        try { chain.ImportFromPem(certificatePem); }
        catch (CryptographicException e) { throw new CertificateLoadException(files.Certificate, $"is not a PEM certificate: {e.Message}"); }
        if (chain.Count == 0) throw new CertificateLoadException(files.Certificate, "holds no PEM CERTIFICATE block");

        X509Certificate2 leaf;
        try
        {
            // The first certificate of the file is the server's (as in certbot's fullchain.pem and
            // Postfix's smtpd_tls_chain_files); the rest are its intermediates.
            leaf = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        }
        catch (ArgumentException)
        {
            // CopyWithPrivateKey's only complaint: the key's public half is not the certificate's.
            throw new CertificateLoadException(files.PrivateKey, $"is not the private key of the certificate in {files.Certificate}");
        }
        catch (CryptographicException e)
        {
            throw new CertificateLoadException(files.PrivateKey, $"holds no usable PEM private key for {files.Certificate}: {e.Message}");
        }
        if (!leaf.HasPrivateKey) throw new CertificateLoadException(files.PrivateKey, $"holds no private key for {files.Certificate}");

        var names = NamesOf(leaf);
        if (names.Count == 0) throw new CertificateLoadException(files.Certificate, "names no host (no subjectAltName DNS name, no CN)");
        var intermediates = new X509Certificate2Collection();
        for (var i = 1; i < chain.Count; i++) intermediates.Add(chain[i]);
        // offline: never fetch missing intermediates from the network at load time; the file is the truth.
        var context = SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
        return new ServerCertificate(files, leaf, context, names, fingerprint);
    }

    private static IReadOnlyList<string> NamesOf(X509Certificate2 certificate)
    {
        var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames())
            .Select(n => n.ToLowerInvariant()).Distinct().ToList();
        if (names.Count > 0) return names;
        var cn = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        return string.IsNullOrWhiteSpace(cn) ? [] : [cn.ToLowerInvariant()];
    }
}
