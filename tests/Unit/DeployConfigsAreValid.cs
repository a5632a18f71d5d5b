using Tunnel.Node.Configuration;
using Xunit;

namespace Tunnel.Tests.Unit;

/// <summary>The sample configurations under deploy/ are real ones: they load and validate with the node's own reader.</summary>
public sealed class DeployConfigsAreValid
{
    public static TheoryData<string> Files => new(
        Directory.GetFiles(Path.Combine(RepositoryRoot(), "deploy"), "*.hocon", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(RepositoryRoot(), f)).Order());

    [Theory]
    [MemberData(nameof(Files))]
    public void A_deploy_configuration_is_valid(string file)
    {
        var environment = new Dictionary<string, string> { ["TUNNEL_POSTGRES"] = "Host=127.0.0.1;Database=tunnel;Username=tunnel" };
        var config = ConfigLoader.Load(Path.Combine(RepositoryRoot(), file), name => environment.GetValueOrDefault(name));

        var settings = SettingsReader.Read(config); // throws, naming every bad key

        Assert.NotEmpty(settings.Ingress.Relay.Domains);
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Tunnel.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("Tunnel.sln not found above the test output");
    }
}
