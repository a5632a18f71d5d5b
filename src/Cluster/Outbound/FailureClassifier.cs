using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Outbound;

/// <summary>
/// Turns a reply of the next hop into a verdict for the queue, which never reads reply text
/// itself. 2xx delivered, 4xx deferred, 5xx failed; anything unexpected is temporary, because
/// a reply we do not understand must not bounce mail (DESIGN: unknown errors are temporary).
/// Pure.
/// </summary>
public static class FailureClassifier
{
    public static RecipientStatus Classify(int code) => code switch
    {
        >= 200 and < 300 => RecipientStatus.Delivered,
        >= 500 and < 600 => RecipientStatus.Failed,
        _ => RecipientStatus.Deferred,
    };

    /// <summary>
    /// The enhanced status code for a reply: the one the server gave (RFC 3463) when its class
    /// agrees with the reply code, else the generic one for the class.
    /// </summary>
    public static string Dsn(int code, string text)
    {
        var status = Classify(code);
        var expectedClass = status switch { RecipientStatus.Delivered => '2', RecipientStatus.Failed => '5', _ => '4' };
        // RFC 3463 §2: status-code = class "." subject "." detail, subject and detail 1*3digit.
        var firstWord = text.Split(' ', 2)[0];
        var parts = firstWord.Split('.');
        if (parts.Length == 3 && parts[0].Length == 1 && parts[0][0] == expectedClass
            && parts.Skip(1).All(p => p.Length is >= 1 and <= 3 && p.All(char.IsAsciiDigit)))
            return firstWord;
        return $"{expectedClass}.0.0";
    }
}
