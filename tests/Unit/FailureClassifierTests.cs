using Tunnel.Cluster.Outbound;
using Tunnel.Messages.Queue;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// A next hop's reply becomes delivered, deferred or failed, and an enhanced status code for
/// the log and the bounce. Anything we do not understand is temporary (DESIGN).
/// </summary>
public sealed class FailureClassifierTests
{
    [Theory]
    [InlineData(200, RecipientStatus.Delivered)]
    [InlineData(250, RecipientStatus.Delivered)]
    [InlineData(251, RecipientStatus.Delivered)]
    [InlineData(299, RecipientStatus.Delivered)]
    [InlineData(421, RecipientStatus.Deferred)]
    [InlineData(450, RecipientStatus.Deferred)]
    [InlineData(451, RecipientStatus.Deferred)]
    [InlineData(452, RecipientStatus.Deferred)]
    [InlineData(499, RecipientStatus.Deferred)]
    [InlineData(500, RecipientStatus.Failed)]
    [InlineData(550, RecipientStatus.Failed)]
    [InlineData(552, RecipientStatus.Failed)]
    [InlineData(554, RecipientStatus.Failed)]
    [InlineData(599, RecipientStatus.Failed)]
    // Unexpected codes must not bounce mail: temporary.
    [InlineData(0, RecipientStatus.Deferred)]
    [InlineData(-1, RecipientStatus.Deferred)]
    [InlineData(199, RecipientStatus.Deferred)]
    [InlineData(220, RecipientStatus.Delivered)]
    [InlineData(354, RecipientStatus.Deferred)]
    [InlineData(399, RecipientStatus.Deferred)]
    [InlineData(600, RecipientStatus.Deferred)]
    [InlineData(999, RecipientStatus.Deferred)]
    public void Classifies_by_reply_code(int code, RecipientStatus expected) => Assert.Equal(expected, FailureClassifier.Classify(code));

    [Theory]
    [InlineData(250, "2.0.0 Ok: queued as 123", "2.0.0")]
    [InlineData(250, "2.1.5 Recipient ok", "2.1.5")]
    [InlineData(550, "5.1.1 <u@example.com>: user unknown", "5.1.1")]
    [InlineData(552, "5.3.4 Message too big", "5.3.4")]
    [InlineData(450, "4.2.0 Mailbox busy", "4.2.0")]
    [InlineData(421, "4.7.0 Too many connections", "4.7.0")]
    [InlineData(550, "5.7.26 DMARC policy", "5.7.26")]
    [InlineData(550, "5.123.456 widest legal code", "5.123.456")]
    // No enhanced code: the generic one of the class.
    [InlineData(550, "User unknown", "5.0.0")]
    [InlineData(450, "try again later", "4.0.0")]
    [InlineData(250, "Ok", "2.0.0")]
    [InlineData(550, "", "5.0.0")]
    // An enhanced code whose class disagrees with the reply code is not believed.
    [InlineData(550, "4.1.1 mixed up", "5.0.0")]
    [InlineData(450, "5.1.1 mixed up", "4.0.0")]
    [InlineData(250, "5.0.0 odd", "2.0.0")]
    // Unexpected reply codes are temporary, whatever the text says.
    [InlineData(354, "5.0.0 strange", "4.0.0")]
    [InlineData(600, "6.0.0 strange", "4.0.0")]
    // Malformed codes (RFC 3463 §2: class "." 1*3digit "." 1*3digit).
    [InlineData(550, "5.1.1.1 too many parts", "5.0.0")]
    [InlineData(550, "5.1 too few", "5.0.0")]
    [InlineData(550, "5..1 empty subject", "5.0.0")]
    [InlineData(550, "5.1. empty detail", "5.0.0")]
    [InlineData(550, "5..11 empty subject", "5.0.0")]
    [InlineData(550, "5.11. empty detail", "5.0.0")]
    [InlineData(550, "5.1.1234 detail too long", "5.0.0")]
    [InlineData(550, "5.1234.1 subject too long", "5.0.0")]
    [InlineData(550, "55.1.1 class too long", "5.0.0")]
    [InlineData(550, "5.a.1 letters", "5.0.0")]
    [InlineData(550, "5.1.1: colon", "5.0.0")]
    [InlineData(550, " 5.1.1 leading space", "5.0.0")]
    [InlineData(550, "user 5.1.1 later", "5.0.0")]
    public void Enhanced_status_code(int code, string text, string expected) => Assert.Equal(expected, FailureClassifier.Dsn(code, text));

    // Issue 13: 503 on a connection that carried a transaction before is our state being wrong,
    // never the message's fault; on a fresh connection, and every other code, nothing changes.
    [Theory]
    [InlineData(503, true, "5.5.1 Nested MAIL command", RecipientStatus.Deferred, "4.5.1")]
    [InlineData(503, true, "Bad sequence of commands", RecipientStatus.Deferred, "4.5.1")]
    [InlineData(503, false, "5.5.1 Nested MAIL command", RecipientStatus.Failed, "5.5.1")]
    [InlineData(550, true, "5.1.1 no such user", RecipientStatus.Failed, "5.1.1")]
    [InlineData(554, true, "5.5.0 no data", RecipientStatus.Failed, "5.5.0")]
    [InlineData(500, true, "5.5.2 unrecognized", RecipientStatus.Failed, "5.5.2")]
    [InlineData(451, true, "4.3.0 try later", RecipientStatus.Deferred, "4.3.0")]
    [InlineData(250, true, "2.0.0 Ok", RecipientStatus.Delivered, "2.0.0")]
    public void A_sequence_error_on_a_reused_connection_is_temporary(int code, bool reused, string text, RecipientStatus status, string dsn)
    {
        Assert.Equal(status, FailureClassifier.Classify(code, reused));
        Assert.Equal(dsn, FailureClassifier.Dsn(code, text, reused));
        Assert.Equal(code == 503 && reused, FailureClassifier.OurStateIsWrong(code, reused));
    }
}
