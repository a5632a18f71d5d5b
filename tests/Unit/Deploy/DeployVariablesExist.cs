using Xunit;

namespace Tunnel.Tests.Unit.Deploy;

/// <summary>
/// Every TUNNEL_* variable a recipe under deploy/ sets is one the node reads
/// (ConfigLoader.Environment). The node ignores the environment it does not know, so a misspelt
/// TUNNEL_POSTGRESS would start a node on SQLite, silently outside the cluster's database.
/// Their tunnel.* keys are checked by <see cref="DeployConfigKeysExist"/> (the recipes' .hocon files).
/// </summary>
public sealed class DeployVariablesExist
{
    public static TheoryData<string> Recipes => new(
        "deploy/docker/compose.yaml",
        "deploy/kubernetes/statefulset.yaml",
        "deploy/systemd/tunnel.service",
        "deploy/systemd/tunnel.env");

    [Theory]
    [MemberData(nameof(Recipes))]
    public void Every_TUNNEL_variable_a_recipe_sets_exists(string file)
    {
        var variables = VariablesIn(file, File.ReadAllText(RepositoryFiles.PathOf(file)));
        var tunnel = variables.Where(v => v.StartsWith("TUNNEL_", StringComparison.Ordinal)).ToList();

        Assert.NotEmpty(tunnel); // each recipe gives the node at least its database or data directory
        Assert.Empty(tunnel.Except(TunnelKeys.Variables));
    }

    [Fact]
    public void Every_kubernetes_manifest_is_read()
    {
        var manifests = Directory.GetFiles(RepositoryFiles.PathOf("deploy/kubernetes"), "*.yaml")
            .Select(path => VariablesIn(RepositoryFiles.Relative(path), File.ReadAllText(path)))
            .SelectMany(v => v)
            .Where(v => v.StartsWith("TUNNEL_", StringComparison.Ordinal));

        Assert.Empty(manifests.Except(TunnelKeys.Variables));
    }

    [Theory]
    [InlineData("compose.yaml", "services:\n  n:\n    environment:\n      TUNNEL_POSTGRESS: x\n")]
    [InlineData("compose.yaml", "services:\n  n:\n    environment:\n      - TUNNEL_HOST_NAME=x\n")]
    [InlineData("statefulset.yaml", "spec:\n  containers:\n    - env:\n        - name: TUNNEL_CLUSTER_HOST\n          value: x\n")]
    [InlineData("tunnel.service", "[Service]\nEnvironment=DOTNET_NOLOGO=1 \"TUNNEL_DATADIR=/var/lib/t\"\n")]
    [InlineData("tunnel.env", "# comment\nTUNNEL_POSTGRESQL=\"Host=db\"\n")]
    public void A_misspelt_variable_is_caught(string file, string text)
    {
        var unknown = VariablesIn(file, text)
            .Where(v => v.StartsWith("TUNNEL_", StringComparison.Ordinal))
            .Except(TunnelKeys.Variables);

        Assert.Single(unknown);
    }

    private static IReadOnlyList<string> VariablesIn(string file, string text) => Path.GetFileName(file) switch
    {
        "compose.yaml" => RecipeVariables.InCompose(text),
        var name when name.EndsWith(".service", StringComparison.Ordinal) => RecipeVariables.InSystemdUnit(text),
        var name when name.EndsWith(".env", StringComparison.Ordinal) => RecipeVariables.InEnvironmentFile(text),
        _ => RecipeVariables.InKubernetes(text),
    };
}
