using Tunnel.Messages.Queue;

namespace Tunnel.Cluster.Outbound;

/// <summary>
/// Turns a reply of the next hop into a verdict for the queue, which never reads reply text
/// itself. 2xx delivered, 4xx deferred, 5xx failed; anything unexpected is temporary, because
/// a reply we do not understand must not bounce mail (DESIGN: unknown errors are temporary).
/// One 5xx is not the message's fault: 503 on a connection that carried an earlier transaction.
/// Pure.
/// </summary>
public static class FailureClassifier
{
    /// <summary>
    /// 503 "bad sequence of commands" (RFC 5321 §4.2.4) on a reused connection: the server's idea
    /// of where the session stands differs from ours (it kept a transaction we believed over,
    /// say), which says nothing about the message. The transaction is abandoned and the message
    /// sent on a fresh connection (<see cref="SmtpSender"/>); where that is too late (the reply
    /// to the end of data), it is deferred. Temporary because our state is the likelier culprit;
    /// the cost is a server that means 503 permanently gets the message again next attempt.
    /// </summary>
    public static bool OurStateIsWrong(int code, bool reusedConnection) => reusedConnection && code == 503;

    /// <summary><see cref="Classify(int)"/>, knowing whether the connection carried a transaction before.</summary>
    public static RecipientStatus Classify(int code, bool reusedConnection) =>
        OurStateIsWrong(code, reusedConnection) ? RecipientStatus.Deferred : Classify(code);

    /// <summary><see cref="Dsn(int, string)"/>, knowing whether the connection carried a transaction before.</summary>
    /// <remarks>4.5.1: RFC 3463 §3.6, "a mail transaction protocol command was issued which was … out of sequence".</remarks>
    public static string Dsn(int code, string text, bool reusedConnection) =>
        OurStateIsWrong(code, reusedConnection) ? "4.5.1" : Dsn(code, text);

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
