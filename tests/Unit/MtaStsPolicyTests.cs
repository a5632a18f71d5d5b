using Tunnel.Cluster.Outbound.Policy;
using Tunnel.Messages.Queue;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>
/// MTA-STS (RFC 8461) in pure code: the _mta-sts TXT record (§3.1), the policy body (§3.2), MX
/// patterns (§4.1), and what a policy asks of a connection.
/// </summary>
public sealed class MtaStsPolicyTests
{
    [Theory]
    [InlineData("v=STSv1; id=20160831085700Z;", "20160831085700Z")]
    [InlineData("v=STSv1;id=abc", "abc")]
    [InlineData("v=STSv1;  id=abc ; ext=1", "abc")]
    [InlineData("v=STSv1; id=", null)]
    [InlineData("v=STSv1; id=not-alphanumeric", null)]
    [InlineData("v=STSv1; id=123456789012345678901234567890123", null)] // 33 characters
    [InlineData("v=STSv1", null)]
    [InlineData("v=STSv10; id=abc", null)]
    [InlineData("id=abc; v=STSv1", null)] // v must come first
    [InlineData("v=spf1 -all", null)]
    public void The_TXT_record_gives_the_policy_id(string record, string? id) =>
        Assert.Equal(id, MtaStsRecord.Id([record]));

    [Fact]
    public void Two_STS_records_mean_no_policy_and_other_TXT_records_are_ignored()
    {
        Assert.Null(MtaStsRecord.Id(["v=STSv1; id=a", "v=STSv1; id=b"]));
        Assert.Equal("a", MtaStsRecord.Id(["v=spf1 -all", "v=STSv1; id=a"]));
        Assert.Null(MtaStsRecord.Id([]));
    }

    [Fact]
    public void A_policy_body_is_parsed()
    {
        var (policy, problem) = MtaStsPolicy.Parse("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.Example.NET.\r\nmax_age: 604800\r\nextension: ignored\r\n", "id1");

        Assert.Null(problem);
        Assert.Equal(MtaStsMode.Enforce, policy!.Mode);
        Assert.Equal(TimeSpan.FromDays(7), policy.MaxAge);
        Assert.Equal(["mail.example.com", "*.example.net"], policy.Mx);
        Assert.Equal("id1", policy.Id);
    }

    [Theory]
    [InlineData("version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 86400\n", MtaStsMode.Testing)] // LF alone
    [InlineData("version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n", MtaStsMode.None)]                  // no mx with none
    [InlineData("version: STSv1\r\nmode: enforce\r\nmode: none\r\nmx: a.example\r\nmax_age: 0\r\n", MtaStsMode.Enforce)] // first wins
    public void Modes(string body, MtaStsMode mode) => Assert.Equal(mode, MtaStsPolicy.Parse(body).Policy!.Mode);

    [Theory]
    [InlineData("mode: enforce\nmx: a.example\nmax_age: 1\n", "no version")]
    [InlineData("version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n", "version 'STSv2' is not STSv1")]
    [InlineData("version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1\n", "mode 'strict' is not enforce, testing or none")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example\n", "no max_age")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n", "max_age '31557601' is not a number of seconds up to 31557600")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n", "max_age '-1' is not a number of seconds up to 31557600")]
    [InlineData("version: STSv1\nmode: enforce\nmax_age: 1\n", "no mx")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.*.example\nmax_age: 1\n", "mx 'a.*.example' is not a host name or *.domain")]
    [InlineData("<html>not a policy</html>", "line '<html>not a policy</html>' is not \"key: value\"")]
    public void A_bad_policy_says_why(string body, string problem)
    {
        var (policy, why) = MtaStsPolicy.Parse(body);

        Assert.Null(policy);
        Assert.Equal(problem, why);
    }

    [Theory]
    [InlineData("mail.example.com", true)]
    [InlineData("MAIL.example.com.", true)]
    [InlineData("mx1.example.net", true)]
    [InlineData("example.net", false)]          // a wildcard needs its one label
    [InlineData("a.mx1.example.net", false)]    // and only one (RFC 8461 §4.1)
    [InlineData("mail.example.org", false)]
    public void MX_hosts_match_names_and_one_label_wildcards(string host, bool matches)
    {
        var policy = new MtaStsPolicy(MtaStsMode.Enforce, TimeSpan.FromDays(1), ["mail.example.com", "*.example.net"]);

        Assert.Equal(matches, policy.Matches(host));
    }

    private static readonly MtaStsPolicy Enforce = new(MtaStsMode.Enforce, TimeSpan.FromDays(1), ["mx1.example.com"]);
    private static readonly MtaStsPolicy Testing = Enforce with { Mode = MtaStsMode.Testing };
    private static readonly TlsOutcome Verified = new(true, null, "Tls13", "TLS_AES_128_GCM_SHA256");
    private static readonly TlsOutcome Unverified = new(true, "certificate names x, not mx1.example.com", "Tls13", "TLS_AES_128_GCM_SHA256");

    [Fact]
    public void Enforce_requires_verified_TLS_to_a_listed_MX_and_the_log_says_mta_sts()
    {
        var requirement = new TlsRequirement(TlsLevel.MtaSts, Enforce);

        Assert.True(requirement.RequiresTls && requirement.RequiresVerification);
        Assert.Null(requirement.HostProblem("mx1.example.com"));
        Assert.StartsWith("mx2.example.com is not an MX host of the MTA-STS policy", requirement.HostProblem("mx2.example.com"));
        Assert.True(requirement.SatisfiedBy(Verified));
        Assert.False(requirement.SatisfiedBy(Unverified));
        Assert.False(requirement.SatisfiedBy(TlsOutcome.Plaintext));
        Assert.Equal(new TlsSummary(TlsSummary.MtaSts, "Tls13", "TLS_AES_128_GCM_SHA256"), requirement.Summary(Verified));
    }

    [Fact]
    public void Testing_requires_nothing_but_names_what_enforce_would_have_refused()
    {
        var requirement = new TlsRequirement(TlsLevel.MtaSts, Testing);

        Assert.False(requirement.RequiresTls);
        Assert.True(requirement.SatisfiedBy(TlsOutcome.Plaintext));
        Assert.Null(requirement.TestingFailure("mx1.example.com", Verified));
        Assert.Equal("mx1.example.com did not use TLS", requirement.TestingFailure("mx1.example.com", TlsOutcome.Plaintext));
        Assert.Equal("mx1.example.com: certificate names x, not mx1.example.com", requirement.TestingFailure("mx1.example.com", Unverified));
        Assert.StartsWith("mx2.example.com is not an MX host", requirement.TestingFailure("mx2.example.com", Verified));
        Assert.Equal(TlsSummary.Verified, requirement.Summary(Verified).Level);
        Assert.Equal(TlsSummary.May, requirement.Summary(Unverified).Level);
    }

    [Theory]
    [InlineData(TlsLevel.May, false, false)]
    [InlineData(TlsLevel.Encrypt, true, false)]
    [InlineData(TlsLevel.Verify, true, true)]
    [InlineData(TlsLevel.MtaSts, false, false)] // mta-sts without a policy: opportunistic
    public void Levels_without_a_policy(TlsLevel level, bool tls, bool verification)
    {
        var requirement = new TlsRequirement(level);

        Assert.Equal((tls, verification), (requirement.RequiresTls, requirement.RequiresVerification));
        Assert.Null(requirement.HostProblem("anything.example"));
        Assert.Equal(TlsSummary.None, requirement.Summary(TlsOutcome.Plaintext).Level);
    }
}
