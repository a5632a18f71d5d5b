namespace Tunnel.Cluster.Ingress.Protocol;

public enum SmtpVerb
{
    Unknown,
    Ehlo,
    Helo,
    Mail,
    Rcpt,
    Data,
    Bdat,
    Rset,
    Noop,
    Quit,
    Vrfy,
    Help,
    StartTls,
    /// <summary>Known verbs we do not offer (EXPN, ETRN, AUTH, TURN, ATRN): 502.</summary>
    NotImplemented,
}
