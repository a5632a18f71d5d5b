namespace Tunnel.Cluster.Ingress.Protocol;

public enum SmtpVerb
{
    Unknown,
    Ehlo,
    Helo,
    Mail,
    Rcpt,
    Data,
    Rset,
    Noop,
    Quit,
    /// <summary>Known verbs we do not offer yet (VRFY, EXPN, HELP, BDAT, STARTTLS, ETRN, AUTH, TURN): 502.</summary>
    NotImplemented,
}
