namespace Tunnel.Cluster.Ingress.Tls;

/// <summary>
/// A certificate (chain) and its private key as PEM files, and the configuration key that named
/// them, so that every message about them points at both the key and the file.
/// </summary>
/// <param name="Key">"tunnel.tls.certificate" or "tunnel.tls.certificates[2]".</param>
public sealed record CertificateFiles(string Key, string Certificate, string PrivateKey)
{
    public override string ToString() => $"{Key} ({Certificate}, key {PrivateKey})";
}

/// <summary>A pair of PEM files that cannot be served; <see cref="Exception.Message"/> names the file and why.</summary>
public sealed class CertificateLoadException(string file, string why) : Exception($"{file}: {why}")
{
    public string File { get; } = file;
    public string Why { get; } = why;
}
