using System.Net;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using Tunnel.Tests.Testing;
using Xunit;
using ArDnsClient = ARSoft.Tools.Net.Dns.DnsClient;

namespace Tunnel.Tests.Unit.Testing;

public sealed class TestDnsServerTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private TestDnsServer _dns = null!;

    public async Task InitializeAsync() => _dns = await TestDnsServer.StartAsync();

    public async Task DisposeAsync() => await _dns.DisposeAsync();

    [Fact]
    public async Task Answers_MX_records_case_insensitively_with_authoritative_and_recursion_flags()
    {
        _dns.Zone.Mx("Example.COM.", 20, "mx2.example.com").Mx("example.com", 10, "MX1.example.com.", ttl: 300);

        var answer = await QueryAsync("EXAMPLE.com", RecordType.Mx);

        Assert.Equal(ReturnCode.NoError, answer.ReturnCode);
        Assert.True(answer.IsAuthoritiveAnswer);
        Assert.True(answer.IsRecursionAllowed);
        var mx = answer.AnswerRecords.OfType<MxRecord>().OrderBy(r => r.Preference).ToList();
        Assert.Equal(2, mx.Count);
        // Case-insensitive: ARSoft's name compression points "example.com" at the question's "EXAMPLE.com".
        Assert.Equal((10, "mx1.example.com.", 300), ((int)mx[0].Preference, Lower(mx[0].ExchangeDomainName), mx[0].TimeToLive));
        Assert.Equal((20, "mx2.example.com.", 60), ((int)mx[1].Preference, Lower(mx[1].ExchangeDomainName), mx[1].TimeToLive));
    }

    [Fact]
    public async Task Answers_A_and_AAAA_records()
    {
        _dns.Zone.A("mx.example.com", "127.0.0.2").A("mx.example.com", "127.0.0.3").Aaaa("mx.example.com", "::1");

        var a = await QueryAsync("mx.example.com", RecordType.A);
        var aaaa = await QueryAsync("mx.example.com", RecordType.Aaaa);

        Assert.Equal(
            [IPAddress.Parse("127.0.0.2"), IPAddress.Parse("127.0.0.3")],
            a.AnswerRecords.OfType<ARecord>().Select(r => r.Address));
        Assert.Equal(IPAddress.IPv6Loopback, Assert.IsType<AaaaRecord>(Assert.Single(aaaa.AnswerRecords)).Address);
    }

    [Fact]
    public async Task Unknown_name_is_NXDOMAIN_and_known_name_without_the_type_is_NODATA()
    {
        _dns.Zone.A("mx.example.com", "127.0.0.2");

        var nx = await QueryAsync("nothing.example.com", RecordType.Mx);
        var noData = await QueryAsync("mx.example.com", RecordType.Aaaa);
        var emptyNonTerminal = await QueryAsync("example.com", RecordType.Mx);

        Assert.Equal(ReturnCode.NxDomain, nx.ReturnCode);
        Assert.Equal(ReturnCode.NoError, noData.ReturnCode);
        Assert.Empty(noData.AnswerRecords);
        Assert.Equal(ReturnCode.NoError, emptyNonTerminal.ReturnCode);
        Assert.Empty(emptyNonTerminal.AnswerRecords);
    }

    [Fact]
    public async Task ServFail_name_answers_SERVFAIL_for_every_type_until_removed()
    {
        _dns.Zone.A("broken.example.com", "127.0.0.2").ServFail("broken.example.com");

        Assert.Equal(ReturnCode.ServerFailure, (await QueryAsync("broken.example.com", RecordType.Mx)).ReturnCode);
        Assert.Equal(ReturnCode.ServerFailure, (await QueryAsync("broken.example.com", RecordType.A)).ReturnCode);

        _dns.Zone.Remove("broken.example.com");
        Assert.Equal(ReturnCode.NxDomain, (await QueryAsync("broken.example.com", RecordType.A)).ReturnCode);
    }

    [Fact]
    public async Task A_ServFail_fault_hits_one_type_of_one_name_until_healed()
    {
        _dns.Zone.A("mx1.example.com", "127.0.0.2").Aaaa("mx1.example.com", "::1").Aaaa("mx2.example.com", "::1")
            .Fault("mx1.example.com", RecordType.Aaaa, DnsFault.ServFail);

        Assert.Equal(ReturnCode.ServerFailure, (await QueryAsync("MX1.example.com.", RecordType.Aaaa)).ReturnCode);
        Assert.IsType<ARecord>(Assert.Single((await QueryAsync("mx1.example.com", RecordType.A)).AnswerRecords));
        Assert.IsType<AaaaRecord>(Assert.Single((await QueryAsync("mx2.example.com", RecordType.Aaaa)).AnswerRecords));

        _dns.Zone.Heal("mx1.example.com", RecordType.Aaaa);
        Assert.IsType<AaaaRecord>(Assert.Single((await QueryAsync("mx1.example.com", RecordType.Aaaa)).AnswerRecords));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_NoAnswer_fault_is_never_answered_while_the_name_answers_other_types(bool tcp)
    {
        _dns.Zone.A("mx1.example.com", "127.0.0.2").Aaaa("mx1.example.com", "::1")
            .Fault("mx1.example.com", RecordType.Aaaa, DnsFault.NoAnswer);

        Assert.Null(await TryQueryAsync(_dns, "mx1.example.com", RecordType.Aaaa, tcp, ShortWait));
        Assert.IsType<ARecord>(Assert.Single((await QueryAsync("mx1.example.com", RecordType.A, tcp)).AnswerRecords));
        Assert.Equal(2, _dns.QueryCount); // the unanswered question was received

        _dns.Zone.Heal("mx1.example.com", RecordType.Aaaa);
        Assert.IsType<AaaaRecord>(Assert.Single((await QueryAsync("mx1.example.com", RecordType.Aaaa, tcp)).AnswerRecords));
    }

    [Fact]
    public async Task Remove_clears_the_faults_of_the_name()
    {
        _dns.Zone.A("mx1.example.com", "127.0.0.2").Fault("mx1.example.com", RecordType.A, DnsFault.ServFail);

        _dns.Zone.Remove("mx1.example.com").A("mx1.example.com", "127.0.0.3");

        Assert.IsType<ARecord>(Assert.Single((await QueryAsync("mx1.example.com", RecordType.A)).AnswerRecords));
    }

    [Fact]
    public async Task CNAME_chain_is_followed_within_the_zone()
    {
        _dns.Zone.Cname("alias.example.com", "middle.example.com")
            .Cname("middle.example.com", "mx.example.com")
            .A("mx.example.com", "127.0.0.2")
            .Cname("outside.example.com", "mx.elsewhere.test");

        var chained = await QueryAsync("alias.example.com", RecordType.A);
        var dangling = await QueryAsync("outside.example.com", RecordType.A);
        var cnameItself = await QueryAsync("alias.example.com", RecordType.CName);

        Assert.Equal(ReturnCode.NoError, chained.ReturnCode);
        Assert.Collection(chained.AnswerRecords,
            r => Assert.Equal("middle.example.com.", Assert.IsType<CNameRecord>(r).CanonicalName.ToString()),
            r => Assert.Equal("mx.example.com.", Assert.IsType<CNameRecord>(r).CanonicalName.ToString()),
            r => Assert.Equal(IPAddress.Parse("127.0.0.2"), Assert.IsType<ARecord>(r).Address));
        Assert.Equal(ReturnCode.NoError, dangling.ReturnCode);
        Assert.IsType<CNameRecord>(Assert.Single(dangling.AnswerRecords));
        Assert.IsType<CNameRecord>(Assert.Single(cnameItself.AnswerRecords));
    }

    [Fact]
    public async Task NullMx_is_MX_0_root_and_replaces_other_MX_records()
    {
        _dns.Zone.Mx("example.com", 10, "mx.example.com").NullMx("example.com");

        var answer = await QueryAsync("example.com", RecordType.Mx);

        var mx = Assert.IsType<MxRecord>(Assert.Single(answer.AnswerRecords));
        Assert.Equal(0, mx.Preference);
        Assert.Equal(DomainName.Root, mx.ExchangeDomainName);
    }

    [Fact]
    public async Task Answers_over_TCP_too_and_counts_queries()
    {
        _dns.Zone.Mx("example.com", 10, "mx.example.com");
        Assert.Equal(0, _dns.QueryCount); // the start-up probe is not counted

        await QueryAsync("example.com", RecordType.Mx);
        var overTcp = await QueryAsync("example.com", RecordType.Mx, tcp: true);

        Assert.IsType<MxRecord>(Assert.Single(overTcp.AnswerRecords));
        Assert.Equal(2, _dns.QueryCount);
    }

    [Fact]
    public async Task Binds_IPv6_loopback_when_asked()
    {
        await using var dns = await TestDnsServer.StartAsync(IPAddress.IPv6Loopback);
        dns.Zone.Aaaa("mx.example.com", "::1");

        Assert.Equal(IPAddress.IPv6Loopback, dns.EndPoint.Address);
        foreach (var tcp in new[] { false, true })
        {
            var answer = await QueryAsync(dns, "mx.example.com", RecordType.Aaaa, tcp);
            Assert.IsType<AaaaRecord>(Assert.Single(answer.AnswerRecords));
        }
    }

    [Fact]
    public void Rejects_an_address_of_the_wrong_family()
    {
        Assert.Throws<ArgumentException>(() => _dns.Zone.A("mx.example.com", "::1"));
        Assert.Throws<ArgumentException>(() => _dns.Zone.Aaaa("mx.example.com", "127.0.0.1"));
    }

    // Long enough for a loopback answer, short enough that waiting for a question never answered costs little.
    private static readonly TimeSpan ShortWait = TimeSpan.FromMilliseconds(500);

    private static string Lower(DomainName name) => name.ToString().ToLowerInvariant();

    private Task<DnsMessage> QueryAsync(string name, RecordType type, bool tcp = false) =>
        QueryAsync(_dns, name, type, tcp);

    // One transport per client: ARSoft's client retries a SERVFAIL over its next transport, which would
    // both hide what the first one got and double QueryCount.
    private static async Task<DnsMessage> QueryAsync(TestDnsServer dns, string name, RecordType type, bool tcp)
    {
        var answer = await TryQueryAsync(dns, name, type, tcp, Timeout);
        Assert.NotNull(answer);
        return answer;
    }

    /// <summary>The answer, or null when none came within <paramref name="wait"/>.</summary>
    private static async Task<DnsMessage?> TryQueryAsync(TestDnsServer dns, string name, RecordType type, bool tcp, TimeSpan wait)
    {
        IClientTransport transport = tcp ? new TcpClientTransport(dns.EndPoint.Port) : new UdpClientTransport(dns.EndPoint.Port);
        using var client = new ArDnsClient([dns.EndPoint.Address], [transport], true, 2_000);
        using var timeout = new CancellationTokenSource(wait);
        try
        {
            return await client.ResolveAsync(DomainName.Parse(name), type, RecordClass.INet, null, timeout.Token)
                .WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return null;
        }
    }
}
