using System.Net;
using System.Reflection;
using Tunnel.Cluster.Ingress;
using Tunnel.Cluster.Ingress.Protocol;
using Tunnel.Messages.Mail;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>The small pure pieces of ingress: connection counting, xtext, line limits, and the reply catalogue's enhanced codes.</summary>
public sealed class IngressPiecesTests
{
    [Fact]
    public void Connections_are_counted_per_IPv4_address_and_per_IPv6_64()
    {
        var limiter = new ConnectionLimiter(maxConnections: 4, maxPerClient: 2);

        Assert.Equal(Admission.Admitted, limiter.TryAdmit(IPAddress.Parse("2001:db8:1:2::1")));
        Assert.Equal(Admission.Admitted, limiter.TryAdmit(IPAddress.Parse("2001:db8:1:2:ffff::9")));
        Assert.Equal(Admission.ClientFull, limiter.TryAdmit(IPAddress.Parse("2001:db8:1:2::77"))); // same /64
        Assert.Equal(Admission.Admitted, limiter.TryAdmit(IPAddress.Parse("2001:db8:1:3::1")));    // next /64
        Assert.Equal(Admission.Admitted, limiter.TryAdmit(IPAddress.Parse("192.0.2.1")));
        Assert.Equal(Admission.NodeFull, limiter.TryAdmit(IPAddress.Parse("192.0.2.2")));

        limiter.Release(IPAddress.Parse("2001:db8:1:2::1"));

        Assert.Equal(3, limiter.Count);
        Assert.Equal(Admission.Admitted, limiter.TryAdmit(IPAddress.Parse("::ffff:192.0.2.1"))); // the same client as 192.0.2.1
        Assert.Equal(Admission.NodeFull, limiter.TryAdmit(IPAddress.Parse("2001:db8:1:2::1")));
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a+2Bb+3Dc", "a+b=c")]
    [InlineData("+20", " ")]
    [InlineData("a+2b", null)]     // lower-case hex
    [InlineData("a+", null)]
    [InlineData("a=b", null)]
    [InlineData("+C3+A9", "\u00e9")] // octets that form UTF-8
    [InlineData("+C3", null)]        // half a UTF-8 sequence
    public void Xtext_decodes_strictly(string xtext, string? expected) => Assert.Equal(expected, EsmtpParameters.DecodeXtext(xtext));

    [Theory]
    [InlineData("\\x{E9}t\\x{E9}", "\u00e9t\u00e9")]
    [InlineData("\\x{1F600}", "\U0001F600")]
    [InlineData("\\x{41}", null)]    // ASCII must not be escaped
    [InlineData("\\x{D800}", null)]  // a surrogate is no scalar
    [InlineData("\\x{E9", null)]
    [InlineData("\u00e9", "\u00e9")] // raw UTF-8 (utf-8-addr-unitext)
    public void Utf8_address_xtext_decodes_RFC_6533_escapes(string xtext, string? expected) =>
        Assert.Equal(expected, EsmtpParameters.DecodeXtext(xtext, unicode: true));

    [Theory]
    [InlineData("a b+c=d\u00e9")]
    [InlineData("QQ314159")]
    public void Xtext_round_trips(string text) => Assert.Equal(text, EsmtpParameters.DecodeXtext(EsmtpParameters.EncodeXtext(text)));

    [Theory]
    [InlineData("NOOP x", 510)]
    [InlineData("MAIL FROM:<a@b>", 672)]
    [InlineData("mail FROM:<a@b>", 672)]
    [InlineData("RCPT TO:<a@b>", 1010)]
    [InlineData("RCPTX", 510)]
    [InlineData("MAILFROM", 510)]
    public void Each_verb_has_its_line_limit(string line, int limit) =>
        Assert.Equal(limit, CommandLineLimits.For(System.Text.Encoding.ASCII.GetBytes(line), 510));

    /// <summary>RFC 2034 §3: every 2xx, 4xx and 5xx reply carries an enhanced code, except the greeting and the HELO/EHLO reply.</summary>
    [Fact]
    public void Every_reply_in_the_catalogue_carries_an_enhanced_code_of_its_class()
    {
        var replies = typeof(SmtpReplies).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (f.Name, (SmtpReply)f.GetValue(null)!))
            .Concat(typeof(SmtpReplies).GetMethods(BindingFlags.Public | BindingFlags.Static)
                .Where(m => m.ReturnType == typeof(SmtpReply))
                .Select(m => (m.Name, (SmtpReply)m.Invoke(null, m.GetParameters().Select(Sample).ToArray())!)))
            .ToList();

        Assert.True(replies.Count > 40);
        foreach (var (name, reply) in replies)
        {
            if (name is "Greeting" or "Helo" or "Ehlo" || reply.Code == 354) continue;
            Assert.True(reply.Enhanced is not null, $"{name}: {reply}");
            Assert.True(reply.Enhanced![0] - '0' == reply.Code / 100, $"{name}: {reply}");
        }
    }

    private static object Sample(ParameterInfo parameter) => parameter.ParameterType == typeof(string) ? "x.example"
        : parameter.ParameterType == typeof(long) ? 1L
        : parameter.ParameterType == typeof(IEnumerable<string>) ? Array.Empty<string>()
        : parameter.ParameterType == typeof(Mailbox) ? new Mailbox("user", "x.example")
        : throw new NotSupportedException(parameter.ParameterType.Name);
}
