using Tunnel.Node.Configuration;
using Xunit;

namespace Tunnel.Tests.Unit.Deploy;

/// <summary>The sample configurations under deploy/ are real ones: they load and validate with the node's own reader.</summary>
public sealed class DeployConfigsAreValid
{
    public static TheoryData<string> Files => new(
        Directory.GetFiles(RepositoryFiles.PathOf("deploy"), "*.hocon", SearchOption.AllDirectories)
            .Select(RepositoryFiles.Relative).Order());

    [Theory]
    [MemberData(nameof(Files))]
    public void A_deploy_configuration_is_valid(string file)
    {
        // What the recipes give their nodes from secrets (Kubernetes: the Secrets tunnel-postgres and tunnel-admin).
        var environment = new Dictionary<string, string>
        {
            ["TUNNEL_POSTGRES"] = "Host=127.0.0.1;Database=tunnel;Username=tunnel",
            ["TUNNEL_ADMIN_TOKEN"] = "a-token-of-at-least-16-characters",
        };
        var config = ConfigLoader.Load(RepositoryFiles.PathOf(file), name => environment.GetValueOrDefault(name));

        var settings = SettingsReader.Read(config); // throws, naming every bad key

        // Each relays something: configured domains, or the draft's DNS-verified ones (no per-domain list).
        Assert.True(settings.Ingress.Relay.Domains.Count > 0 || settings.Ingress.Relay.VerifyMx,
            $"{file} relays for no domain: set tunnel.relay.domains or tunnel.relay.verify-mx = on");
    }
}
