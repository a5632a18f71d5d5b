using System.Security.Cryptography;

namespace Tunnel.Messages.Mail;

/// <summary>
/// The queue id of one accepted message, shown in our 250 reply, in the Received header and
/// on every mail-log line. Time-ordered (milliseconds since the Unix epoch first) so ids sort
/// by arrival, with 48 random bits so that ids made on different nodes never collide.
/// Crockford base32, upper case: short, unambiguous to read aloud, safe in any header.
/// </summary>
public readonly record struct MessageId(string Value)
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    public static MessageId New(DateTimeOffset now)
    {
        Span<byte> random = stackalloc byte[6];
        RandomNumberGenerator.Fill(random);
        ulong high = (ulong)now.ToUnixTimeMilliseconds();
        ulong low = 0;
        foreach (var b in random) low = (low << 8) | b;
        Span<char> chars = stackalloc char[20];
        // 10 chars of time (50 bits) then 10 chars of randomness (48 bits, padded).
        for (var i = 9; i >= 0; i--) { chars[i] = Alphabet[(int)(high & 31)]; high >>= 5; }
        for (var i = 19; i >= 10; i--) { chars[i] = Alphabet[(int)(low & 31)]; low >>= 5; }
        return new MessageId(new string(chars));
    }

    /// <summary>
    /// A stable id for a message we make about this one (a DSN): the same original and purpose
    /// always give the same id, so that submitting it again after a crash is recognised and
    /// ignored instead of sending the sender a second notice.
    /// </summary>
    public MessageId Derived(string purpose)
    {
        var hash = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{Value}/{purpose}"));
        Span<char> chars = stackalloc char[20];
        Value.AsSpan(0, 10).CopyTo(chars); // same time part: it sorts beside its original
        for (var i = 10; i < 20; i++) chars[i] = Alphabet[hash[i] & 31];
        return new MessageId(new string(chars));
    }

    public override string ToString() => Value;
}
