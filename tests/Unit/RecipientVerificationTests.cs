using System.Net;
using Tunnel.Cluster.Ingress;
using Tunnel.Cluster.Ingress.Protocol;
using Tunnel.Messages.Mail;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// Recipient verification against backscatter (issue 13, item 8), its pure parts: what RCPT
/// answers for each verdict of the real MX, who is verified at all, how long answers are kept,
/// and that sessions asking about one address at once share one question.
/// </summary>
public sealed class RecipientVerificationTests
{
    private static readonly IPAddress Stranger = IPAddress.Parse("192.0.2.7");
    private static readonly IPAddress RelayClient = IPAddress.Parse("2001:db8::9");
    private static readonly RelayPolicy Relay = new(new RelaySettings(new HashSet<string> { "example.com" }, Clients: [IPNetwork.Parse("2001:db8::/64")]));

    public static TheoryData<string, bool, string> Verdicts => new()
    {
        { "valid", true, "250 2.1.5 Recipient ok" },
        { "invalid", true, "550 5.1.1 <who@example.com>: Recipient address rejected: undeliverable address: 550 5.1.1 no such user here" },
        { "unknown", true, "250 2.1.5 Recipient ok" },
        { "unknown", false, "450 4.1.1 <who@example.com>: Recipient address rejected: unverified address: connect to mx1.example.com[2001:db8::25]:25 refused" },
    };

    [Theory]
    [MemberData(nameof(Verdicts))]
    public void Rcpt_answers_by_the_verdict_of_the_real_MX(string verdict, bool acceptUnknown, string expected)
    {
        var dialog = Dialog(Stranger, acceptUnknown);
        var step = dialog.Handle(SmtpCommandParser.Parse("RCPT TO:<who@example.com>"));
        Assert.Equal(SessionEffect.VerifyRecipient, step.Effect);
        Assert.Null(step.Reply);
        Assert.Equal(new Mailbox("who", "example.com"), dialog.PendingRecipient);

        var answer = dialog.RecipientVerified(verdict switch
        {
            "valid" => new RecipientVerdict.Valid(),
            "invalid" => new RecipientVerdict.Invalid("550 5.1.1 no such user\r\n here"),
            _ => new RecipientVerdict.Unknown("connect to mx1.example.com[2001:db8::25]:25 refused"),
        });

        Assert.Equal(expected, answer.Reply!.ToString().TrimEnd());
        Assert.Null(dialog.PendingRecipient);
        Assert.Equal(expected.StartsWith("250") ? 1 : 0, dialog.Recipients.Count);
    }

    [Fact]
    public void An_authorised_clients_recipients_and_other_domains_are_not_verified()
    {
        var dialog = Dialog(RelayClient, acceptUnknown: true);
        Assert.Equal("250 2.1.5 Recipient ok", dialog.Handle(SmtpCommandParser.Parse("RCPT TO:<who@example.com>")).Reply!.ToString().TrimEnd());
        Assert.Equal("250 2.1.5 Recipient ok", dialog.Handle(SmtpCommandParser.Parse("RCPT TO:<who@elsewhere.example>")).Reply!.ToString().TrimEnd());

        var stranger = Dialog(Stranger, acceptUnknown: true);
        Assert.StartsWith("550 5.7.1", stranger.Handle(SmtpCommandParser.Parse("RCPT TO:<who@elsewhere.example>")).Reply!.ToString());
    }

    [Fact]
    public void Answers_are_kept_by_kind_and_the_oldest_go_first()
    {
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var cache = new RecipientVerdictCache(TimeSpan.FromDays(7), TimeSpan.FromHours(3), TimeSpan.FromMinutes(1), maxEntries: 2);
        cache.Remember("a@x", new RecipientVerdict.Valid(), t0);
        cache.Remember("b@x", new RecipientVerdict.Invalid("550"), t0);

        Assert.IsType<RecipientVerdict.Valid>(cache.Find("a@x", t0.AddDays(6)));
        Assert.Null(cache.Find("a@x", t0.AddDays(7)));
        Assert.IsType<RecipientVerdict.Invalid>(cache.Find("b@x", t0.AddHours(2)));
        Assert.Null(cache.Find("b@x", t0.AddHours(3)));

        cache.Remember("a@x", new RecipientVerdict.Valid(), t0);
        cache.Remember("b@x", new RecipientVerdict.Valid(), t0.AddSeconds(1));
        cache.Remember("c@x", new RecipientVerdict.Unknown("down"), t0.AddSeconds(2));
        Assert.Equal(2, cache.Count);
        Assert.Null(cache.Find("a@x", t0.AddSeconds(3)));
        Assert.IsType<RecipientVerdict.Unknown>(cache.Find("c@x", t0.AddSeconds(3)));
        Assert.Null(cache.Find("c@x", t0.AddSeconds(63)));
    }

    [Fact]
    public async Task Sessions_asking_about_one_address_at_once_share_one_question()
    {
        var asked = 0;
        var answer = new TaskCompletionSource<RecipientVerdict>(TaskCreationOptions.RunContinuationsAsynchronously);
        var verifier = new RecipientVerifier((_, _) =>
        {
            Interlocked.Increment(ref asked);
            return answer.Task;
        }, RecipientVerification.Off with { Enabled = true });
        var who = new Mailbox("who", "example.com");

        var first = verifier.VerifyAsync(who);
        var second = verifier.VerifyAsync(who);
        answer.SetResult(new RecipientVerdict.Valid());

        Assert.IsType<RecipientVerdict.Valid>(await first);
        Assert.IsType<RecipientVerdict.Valid>(await second);
        Assert.IsType<RecipientVerdict.Valid>(await verifier.VerifyAsync(who)); // from the cache
        Assert.Equal(1, asked);
    }

    private static SmtpDialog Dialog(IPAddress client, bool acceptUnknown)
    {
        var dialog = new SmtpDialog(new DialogOptions("tunnel.test", 1 << 20, 100, VerifyRecipients: true, AcceptUnverified: acceptUnknown), Relay, client);
        dialog.Handle(SmtpCommandParser.Parse("EHLO client.example"));
        dialog.Handle(SmtpCommandParser.Parse("MAIL FROM:<sender@ip4only.example>"));
        return dialog;
    }
}
