using Xunit;

namespace Tunnel.Tests.Unit.Deploy;

/// <summary>
/// Every tunnel.* key a configuration under deploy/ sets is one the node reads. (The node
/// ignores unknown keys, so "relay.domain = [...]" would validate and relay nothing.)
/// </summary>
public sealed class DeployConfigKeysExist
{
    public static TheoryData<string> Files => DeployConfigsAreValid.Files;

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_key_of_a_deploy_configuration_exists(string file)
    {
        var keys = TunnelKeys.SetIn(File.ReadAllText(RepositoryFiles.PathOf(file)));

        Assert.NotEmpty(keys);
        Assert.Empty(TunnelKeys.Unknown(keys));
    }

    [Theory]
    [InlineData("tunnel.relay.domain = [\"example.com\"]", "tunnel.relay.domain")]
    [InlineData("tunnel { smtp { listen-on = [] } }", "tunnel.smtp.listen-on")]
    [InlineData("tunnel.cluster.seed = []", "tunnel.cluster.seed")]
    public void A_misspelt_key_is_caught(string hocon, string unknown)
    {
        Assert.Equal([unknown], TunnelKeys.Unknown(TunnelKeys.SetIn(hocon)));
    }

    [Theory]
    [InlineData("tunnel.relay.domains = [\"example.com\"]")]
    [InlineData("tunnel.outbound.family-policy-by-domain { \"gmail.com\" = ipv4-only }")]
    [InlineData("tunnel { queue.retry { first = 1m } }")]
    public void Real_keys_pass(string hocon)
    {
        Assert.Empty(TunnelKeys.Unknown(TunnelKeys.SetIn(hocon)));
    }
}
