using Tunnel.Messages.Mail;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// The id of a message we make about another one (a DSN): always the same for the same
/// original and purpose, so a notice submitted again after a crash is recognised; different per
/// purpose; sorted beside its original; a well-formed id itself.
/// </summary>
public sealed class MessageIdTests
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; // Crockford base32: no I, L, O, U

    private static readonly MessageId Original = new("01HZZZZZZZ0000000001");
    private static readonly string[] Purposes = ["failed", "delayed", "relayed", "", "Failed", "failed ", "ünïcode"];

    [Fact]
    public void The_same_original_and_purpose_give_the_same_id()
    {
        foreach (var purpose in Purposes)
            Assert.Equal(Original.Derived(purpose), new MessageId(Original.Value).Derived(purpose));
    }

    [Fact]
    public void Each_purpose_has_its_own_id()
    {
        var ids = Purposes.Select(p => Original.Derived(p).Value).ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.DoesNotContain(Original.Value, ids);
    }

    [Fact]
    public void Each_original_has_its_own_id()
    {
        var originals = Enumerable.Range(0, 200).Select(i => new MessageId($"01HZZZZZZZ{i:0000000000}")).ToList();

        var derived = originals.Select(o => o.Derived("failed").Value).ToList();

        Assert.Equal(derived.Count, derived.Distinct().Count());
    }

    [Theory]
    [InlineData("01HZZZZZZZ0000000001")]
    [InlineData("00000000000000000000")]
    [InlineData("ZZZZZZZZZZZZZZZZZZZZ")]
    [InlineData("7ZZZZZZZZZ0123456789")]
    public void A_derived_id_is_well_formed_and_keeps_the_time_prefix(string value)
    {
        foreach (var purpose in Purposes)
        {
            var derived = new MessageId(value).Derived(purpose).Value;

            Assert.Equal(20, derived.Length);
            Assert.Equal(value[..10], derived[..10]);
            Assert.All(derived, c => Assert.Contains(c, Alphabet));
        }
    }

    [Fact]
    public void A_derived_id_sorts_beside_its_original()
    {
        var earlier = MessageId.New(new DateTimeOffset(2026, 3, 5, 12, 0, 0, TimeSpan.Zero));
        var later = MessageId.New(new DateTimeOffset(2026, 3, 5, 12, 0, 1, TimeSpan.Zero));

        var bounce = earlier.Derived("failed");

        Assert.True(string.CompareOrdinal(bounce.Value, later.Value) < 0);
        Assert.Equal(earlier.Value[..10], bounce.Value[..10]);
    }

    [Fact]
    public void A_derived_id_can_be_derived_again()
    {
        var bounce = Original.Derived("failed");

        Assert.NotEqual(bounce, bounce.Derived("failed"));
        Assert.Equal(bounce.Derived("failed"), Original.Derived("failed").Derived("failed"));
    }

    /// <summary>
    /// Golden values: the derivation must not change between versions, or a node upgraded between
    /// a crash and its recovery would send the same notice twice under two ids. (Computed apart, in
    /// Python: the original's first 10 characters, then octets 10..19 of SHA-256("original/purpose"),
    /// each masked to 5 bits, in Crockford base32.)
    /// </summary>
    [Theory]
    [InlineData("failed", "01HZZZZZZZ40HXG5ADG6")]
    [InlineData("delayed", "01HZZZZZZZ0BF60V05SW")]
    [InlineData("relayed", "01HZZZZZZZEK7H0DMJ1T")]
    public void The_derivation_is_stable(string purpose, string expected)
    {
        Assert.Equal(expected, Original.Derived(purpose).Value);
    }
}
