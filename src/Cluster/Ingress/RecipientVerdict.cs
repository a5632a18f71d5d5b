namespace Tunnel.Cluster.Ingress;

/// <summary>What the real MX said of a recipient when asked (MAIL, RCPT, RSET: never DATA).</summary>
public abstract record RecipientVerdict
{
    /// <summary>It took the recipient (2xx to RCPT).</summary>
    public sealed record Valid : RecipientVerdict;

    /// <summary>It refused the recipient for good (5xx to RCPT); <paramref name="Reply"/> is what it said.</summary>
    public sealed record Invalid(string Reply) : RecipientVerdict;

    /// <summary>No answer to go by: a 4xx, no server reachable, no route now; <paramref name="Reason"/> says which.</summary>
    public sealed record Unknown(string Reason) : RecipientVerdict;
}
