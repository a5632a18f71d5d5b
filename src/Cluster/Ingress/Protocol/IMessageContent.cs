namespace Tunnel.Cluster.Ingress.Protocol;

/// <summary>What a content reader (DATA or BDAT) found while it took a message in.</summary>
public interface IMessageContent
{
    /// <summary>Octets of message content seen, including any beyond the size limit (which are not kept).</summary>
    long Size { get; }
    bool TooBig { get; }
    bool BareNewline { get; }
    bool LineTooLong { get; }
    bool Nul { get; }
}
