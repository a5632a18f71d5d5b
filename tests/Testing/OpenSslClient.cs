using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;

namespace Tunnel.Tests.Testing;

/// <summary>What <c>openssl s_client -starttls smtp</c> saw: the chain the server sent (subjects, leaf first) and its verdict.</summary>
/// <param name="Subjects">" 0 s:CN = mx1.example.com", ... as the subjects of -showcerts.</param>
/// <param name="Verified">"Verify return code: 0 (ok)" against the CA file and the expected host.</param>
public sealed record OpenSslHandshake(IReadOnlyList<string> Subjects, bool Verified, string Output)
{
    /// <summary>The server's certificate as PEM (the first of -showcerts), to tell a renewal from its predecessor.</summary>
    public string? LeafPem
    {
        get
        {
            var begin = Output.IndexOf("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal);
            var end = Output.IndexOf("-----END CERTIFICATE-----", StringComparison.Ordinal);
            return begin < 0 || end < begin ? null : Output[begin..(end + "-----END CERTIFICATE-----".Length)];
        }
    }

    /// <summary>The CN of the certificate the server presented.</summary>
    public string Served => Subjects.Count > 0 ? Subjects[0] : "(none)";
}

/// <summary>
/// Runs OpenSSL's own client (the Debian openssl package) against an SMTP server, so that SNI
/// and the served chain are judged by an independent TLS implementation, not by .NET's.
/// </summary>
public static partial class OpenSslClient
{
    /// <param name="serverName">Sent as SNI; null: no SNI at all (-noservername).</param>
    /// <param name="caFile">When given, the chain is verified against it and the host name <paramref name="serverName"/>.</param>
    /// <param name="refuseUnverified">Abort the handshake when verification fails, as a verifying MTA does (-verify_return_error).</param>
    public static async Task<OpenSslHandshake> StartTlsAsync(IPEndPoint server, string? serverName, string? caFile = null, bool refuseUnverified = false)
    {
        var arguments = new List<string> { "s_client", "-starttls", "smtp", "-connect", server.ToString() /* [::1]:port for IPv6 */, "-showcerts" };
        arguments.AddRange(serverName is null ? ["-noservername"] : ["-servername", serverName]);
        if (caFile is not null)
        {
            arguments.AddRange(["-CAfile", caFile]);
            if (serverName is not null) arguments.AddRange(["-verify_hostname", serverName]);
            if (refuseUnverified) arguments.Add("-verify_return_error");
        }
        var start = new ProcessStartInfo("openssl")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        Process process;
        try { process = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("openssl is not installed (Debian package openssl; test.sh installs it): " + e.Message);
        }
        using (process)
        {
            // QUIT ends the session once TLS is up; end of input then ends s_client.
            await process.StandardInput.WriteAsync("QUIT\r\n");
            process.StandardInput.Close();
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try { await process.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("openssl s_client did not finish in 20 s");
            }
            var text = await output + await error;
            var subjects = Subject().Matches(text).Select(m => m.Groups[1].Value.Trim()).ToList();
            return new OpenSslHandshake(subjects, text.Contains("Verify return code: 0 (ok)"), text);
        }
    }

    [GeneratedRegex(@"^\s*\d+ s:(.*)$", RegexOptions.Multiline)]
    private static partial Regex Subject();
}
