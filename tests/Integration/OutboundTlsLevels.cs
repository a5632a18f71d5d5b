using System.Net;
using System.Text;
using Tunnel.Cluster.Outbound;
using Tunnel.Cluster.Outbound.Policy;
using Tunnel.Cluster.Routing;
using Tunnel.Messages.Mail;
using Tunnel.Messages.Queue;
using Tunnel.Tests.Testing;
using Xunit;

namespace Tunnel.Tests.Integration;

/// <summary>
/// STARTTLS to a real SMTP server on loopback under each outbound TLS level (issue 14):
/// opportunistic TLS that fails goes on in plaintext with the same host, as Postfix does; a level
/// that requires TLS defers instead (4.7.4 no STARTTLS, 4.7.5 handshake or certificate) and the
/// server never sees MAIL; verify wants a chain to the trusted CA and the MX host's name; and a
/// plaintext connection kept in the cache never carries mail that requires TLS.
/// </summary>
public sealed class OutboundTlsLevels : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private const string MxHost = "mx1.example.com";
    private readonly RemoteCa _ca = new();

    public void Dispose() => _ca.Dispose();

    private SmtpSender Sender(TimeSpan? cache = null) =>
        new(new OutboundSettings("tunnel.test", 25, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), ConnectionCacheTime: cache ?? TimeSpan.Zero)
        {
            Tls = new OutboundTlsSettings(TrustedCas: [_ca.Certificate], MtaSts: false),
        });

    private static Task<TransactionResult> SendAsync(SmtpSender sender, SinkMx sink, TlsLevel level, int n = 0) =>
        sender.SendAsync(new DeliveryTarget(MxHost, sink.EndPoint), new Envelope(new Mailbox("sender", "v4.example")),
            [new Recipient(new Mailbox($"user{n}", "example.com"))], Encoding.ASCII.GetBytes($"Subject: {n}\r\n\r\nbody\r\n"),
            CancellationToken.None, new TlsRequirement(level));

    [Fact]
    public async Task Opportunistic_TLS_with_a_certificate_nobody_vouches_for_still_encrypts_and_says_may()
    {
        await using var sink = SinkMx.Start(IPAddress.Loopback);
        sink.Certificate = RemoteCa.SelfSigned(MxHost);
        using var sender = Sender();

        var outcome = Assert.Single(Assert.IsType<TransactionCompleted>(await SendAsync(sender, sink, TlsLevel.May)).Outcomes);

        Assert.Equal(RecipientStatus.Delivered, outcome.Status);
        Assert.Equal(TlsSummary.May, outcome.Tls!.Level);
        Assert.StartsWith("Tls1", outcome.Tls.Protocol);
        Assert.NotNull(outcome.Tls.Cipher);
        Assert.NotNull(Assert.Single(await sink.WaitForMessagesAsync(1, Wait)).TlsProtocol);
    }

    [Theory]
    [InlineData(TlsLevel.May)]
    [InlineData(TlsLevel.Encrypt)]
    [InlineData(TlsLevel.Verify)]
    public async Task A_certificate_of_the_trusted_CA_for_the_MX_name_is_verified(TlsLevel level)
    {
        await using var sink = SinkMx.Start(IPAddress.Loopback);
        sink.Certificate = _ca.Issue(MxHost);
        using var sender = Sender();

        var outcome = Assert.Single(Assert.IsType<TransactionCompleted>(await SendAsync(sender, sink, level)).Outcomes);

        Assert.Equal(RecipientStatus.Delivered, outcome.Status);
        Assert.Equal(TlsSummary.Verified, outcome.Tls!.Level);
    }

    [Fact]
    public async Task A_failed_opportunistic_handshake_retries_the_same_host_in_plaintext()
    {
        await using var sink = SinkMx.Start(IPAddress.Loopback);
        sink.Tls = SinkTls.FailHandshake;
        using var sender = Sender();

        var outcome = Assert.Single(Assert.IsType<TransactionCompleted>(await SendAsync(sender, sink, TlsLevel.May)).Outcomes);

        Assert.Equal(RecipientStatus.Delivered, outcome.Status);
        Assert.Equal(TlsSummary.None, outcome.Tls!.Level);
        Assert.Null(Assert.Single(await sink.WaitForMessagesAsync(1, Wait)).TlsProtocol);
        Assert.Equal(2, sink.ConnectionCount); // the failed handshake, then plaintext
    }

    [Theory]
    [InlineData(TlsLevel.Encrypt)]
    [InlineData(TlsLevel.Verify)]
    public async Task Where_TLS_is_required_a_failed_handshake_defers_and_nothing_is_sent(TlsLevel level)
    {
        await using var sink = SinkMx.Start(IPAddress.Loopback);
        sink.Tls = SinkTls.FailHandshake;
        using var sender = Sender();

        var unusable = Assert.IsType<TargetUnusable>(await SendAsync(sender, sink, level));

        Assert.Equal("4.7.5", unusable.Dsn);
        Assert.StartsWith($"TLS handshake with {MxHost}[127.0.0.1]:{sink.EndPoint.Port} failed", unusable.Detail);
        Assert.Equal(1, sink.ConnectionCount); // no plaintext retry
        Assert.Empty(sink.Messages);
    }

    [Theory]
    [InlineData(TlsLevel.Encrypt)]
    [InlineData(TlsLevel.Verify)]
    public async Task Where_TLS_is_required_a_server_without_STARTTLS_is_not_sent_mail(TlsLevel level)
    {
        await using var sink = SinkMx.Start(IPAddress.Loopback); // no certificate: no STARTTLS
        using var sender = Sender();

        var unusable = Assert.IsType<TargetUnusable>(await SendAsync(sender, sink, level));

        Assert.Equal("4.7.4", unusable.Dsn);
        Assert.Equal($"TLS is required, but {MxHost}[127.0.0.1]:{sink.EndPoint.Port} does not offer STARTTLS", unusable.Detail);
        Assert.Empty(sink.Messages);
    }

    public static TheoryData<string, string> Unverifiable => new()
    {
        { "another CA", "not trusted" },
        { "self-signed", "not trusted" },
        { "another name", $"certificate names mx2.example.com, not {MxHost}" },
    };

    [Theory]
    [MemberData(nameof(Unverifiable))]
    public async Task Verify_defers_a_certificate_it_cannot_verify_and_encrypt_takes_it(string certificate, string why)
    {
        using var other = new RemoteCa("Another Test CA");
        await using var sink = SinkMx.Start(IPAddress.Loopback);
        sink.Certificate = certificate switch
        {
            "another CA" => other.Issue(MxHost),
            "self-signed" => RemoteCa.SelfSigned(MxHost),
            _ => _ca.Issue("mx2.example.com"),
        };
        using var sender = Sender();

        var unusable = Assert.IsType<TargetUnusable>(await SendAsync(sender, sink, TlsLevel.Verify));
        Assert.Equal("4.7.5", unusable.Dsn);
        Assert.StartsWith($"{MxHost}[127.0.0.1]:{sink.EndPoint.Port}: certificate not verified: ", unusable.Detail);
        Assert.Contains(why, unusable.Detail);
        Assert.Empty(sink.Messages);

        var encrypted = Assert.Single(Assert.IsType<TransactionCompleted>(await SendAsync(sender, sink, TlsLevel.Encrypt, 1)).Outcomes);
        Assert.Equal((RecipientStatus.Delivered, TlsSummary.May), (encrypted.Status, encrypted.Tls!.Level));
    }

    [Fact]
    public async Task A_cached_plaintext_connection_never_carries_mail_that_requires_TLS()
    {
        await using var sink = SinkMx.Start(IPAddress.Loopback);
        sink.Tls = SinkTls.FailHandshake;
        using var sender = Sender(cache: TimeSpan.FromMinutes(1));

        Assert.IsType<TransactionCompleted>(await SendAsync(sender, sink, TlsLevel.May)); // leaves a plaintext connection in the cache
        var unusable = Assert.IsType<TargetUnusable>(await SendAsync(sender, sink, TlsLevel.Encrypt, 1));

        Assert.Equal("4.7.5", unusable.Dsn);
        Assert.Single(sink.Messages);
        var again = Assert.Single(Assert.IsType<TransactionCompleted>(await SendAsync(sender, sink, TlsLevel.May, 2)).Outcomes);
        Assert.Equal(RecipientStatus.Delivered, again.Status);
        Assert.Equal(3, sink.ConnectionCount); // the cached plaintext one served the third message
    }

    private static Task<TransactionResult> SendToAsync(SmtpSender sender, SinkMx sink, string host, TlsLevel level, int n) =>
        sender.SendAsync(new DeliveryTarget(host, sink.EndPoint), new Envelope(new Mailbox("sender", "v4.example")),
            [new Recipient(new Mailbox($"user{n}", "example.com"))], Encoding.ASCII.GetBytes($"Subject: {n}\r\n\r\nbody\r\n"),
            CancellationToken.None, new TlsRequirement(level));

    // Issue 16: a provider's MX host names share addresses; Postfix's cache finds sessions by address too.
    [Theory]
    [InlineData(TlsLevel.May)]
    [InlineData(TlsLevel.Encrypt)]
    public async Task Another_MX_name_at_the_same_address_shares_the_connection_and_is_not_called_verified(TlsLevel level)
    {
        await using var sink = SinkMx.Start(IPAddress.Loopback);
        sink.Certificate = _ca.Issue(MxHost); // valid for mx1 only
        using var sender = Sender(cache: TimeSpan.FromMinutes(1));

        var first = Assert.Single(Assert.IsType<TransactionCompleted>(await SendToAsync(sender, sink, MxHost, level, 0)).Outcomes);
        var shared = Assert.Single(Assert.IsType<TransactionCompleted>(await SendToAsync(sender, sink, "mx2.example.net", level, 1)).Outcomes);
        var back = Assert.Single(Assert.IsType<TransactionCompleted>(await SendToAsync(sender, sink, MxHost, level, 2)).Outcomes);

        Assert.Equal(1, sink.ConnectionCount);
        Assert.All([first, shared, back], o => Assert.Equal(RecipientStatus.Delivered, o.Status));
        Assert.Equal(TlsSummary.Verified, first.Tls!.Level);
        Assert.Equal(TlsSummary.May, shared.Tls!.Level); // the certificate names mx1, not mx2
        Assert.Equal(TlsSummary.Verified, back.Tls!.Level);
    }

    [Fact]
    public async Task A_connection_verified_for_one_name_never_carries_mail_that_must_verify_another()
    {
        await using var sink = SinkMx.Start(IPAddress.Loopback);
        sink.Certificate = _ca.Issue(MxHost, "mx2.example.net"); // valid for both names
        using var sender = Sender(cache: TimeSpan.FromMinutes(1));

        Assert.IsType<TransactionCompleted>(await SendToAsync(sender, sink, MxHost, TlsLevel.Verify, 0));
        var other = Assert.Single(Assert.IsType<TransactionCompleted>(await SendToAsync(sender, sink, "mx2.example.net", TlsLevel.Verify, 1)).Outcomes);

        Assert.Equal((RecipientStatus.Delivered, TlsSummary.Verified), (other.Status, other.Tls!.Level));
        Assert.Equal(2, sink.ConnectionCount); // verified for its own name on its own connection
    }
}
