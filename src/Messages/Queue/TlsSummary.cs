namespace Tunnel.Messages.Queue;

/// <summary>
/// How TLS went on the connection that carried a transaction, for the mail log's <c>tls=</c>:
/// none (plaintext), may (encrypted, certificate not verified), verified (chain and MX name
/// checked), mta-sts (verified, and the destination's MTA-STS policy enforced), dane.
/// </summary>
/// <param name="Protocol">E.g. "Tls13"; null without TLS.</param>
/// <param name="Cipher">The negotiated cipher suite, e.g. "TLS_AES_256_GCM_SHA384"; null without TLS.</param>
public sealed record TlsSummary(string Level, string? Protocol = null, string? Cipher = null)
{
    public const string None = "none";
    public const string May = "may";
    public const string Verified = "verified";
    public const string MtaSts = "mta-sts";
    public const string Dane = "dane";
}
