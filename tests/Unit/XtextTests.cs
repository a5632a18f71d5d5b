using Tunnel.Cluster.Outbound;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// xtext (RFC 3461 §4): "!" to "~" stand for themselves except "+" and "="; every other octet,
/// of the value's UTF-8 form, is "+" and two upper-case hex digits.
/// </summary>
public sealed class XtextTests
{
    [Theory]
    [InlineData("", "")]
    [InlineData("QQ314159", "QQ314159")] // RFC 3461 §4.4's ENVID example
    [InlineData("user@example.com", "user@example.com")]
    [InlineData("+", "+2B")]
    [InlineData("=", "+3D")]
    [InlineData(" ", "+20")]
    [InlineData("a+b", "a+2Bb")]
    [InlineData("a=b", "a+3Db")]
    [InlineData("++", "+2B+2B")]
    [InlineData("+2B", "+2B2B")] // already encoded text is encoded again: xtext is applied once, to the decoded value
    [InlineData("!", "!")]
    [InlineData("~", "~")]
    [InlineData("!\"#$%&'()*,-./:;<>?@[\\]^_`{|}~", "!\"#$%&'()*,-./:;<>?@[\\]^_`{|}~")]
    [InlineData("\t", "+09")]
    [InlineData("\r\n", "+0D+0A")]
    [InlineData("\0", "+00")]
    [InlineData("\u007f", "+7F")]
    [InlineData("é", "+C3+A9")]
    [InlineData("δ", "+CE+B4")]
    [InlineData("€", "+E2+82+AC")]
    [InlineData("😀", "+F0+9F+98+80")]
    [InlineData("\"odd user\"@example.com", "\"odd+20user\"@example.com")]
    public void Encodes(string text, string expected)
    {
        Assert.Equal(expected, Xtext.Encode(text));
    }

    [Fact]
    public void Every_octet_outside_the_plain_range_and_only_those_is_encoded()
    {
        for (var c = (char)0; c < 128; c++)
        {
            var plain = c is >= '!' and <= '~' and not '+' and not '=';

            Assert.Equal(plain ? c.ToString() : $"+{(int)c:X2}", Xtext.Encode(c.ToString()));
        }
    }
}
