namespace Tunnel.Node.Cli;

/// <summary>
/// What `tunnel` exits with, for scripts (sysexits.h where one fits). Documented in the README
/// ("Operations"); never change a meaning.
/// </summary>
public static class ExitCodes
{
    /// <summary>Done; for checks: all is well (dns check: deliverable; config check: valid).</summary>
    public const int Ok = 0;
    /// <summary>Not found (no such message, member or queue), a check that failed, or a runtime failure of the node.</summary>
    public const int Failure = 1;
    /// <summary>EX_USAGE: the command line is wrong (unknown command or option, bad argument).</summary>
    public const int Usage = 64;
    /// <summary>EX_UNAVAILABLE: the node cannot be reached (nothing listens at --node, or it did not answer in time).</summary>
    public const int Unavailable = 69;
    /// <summary>EX_NOPERM: the node refused the request: a bearer token is needed (--token, TUNNEL_ADMIN_TOKEN) or it is wrong.</summary>
    public const int NoPermission = 77;
    /// <summary>EX_CONFIG: the configuration is invalid.</summary>
    public const int Config = 78;
}
