using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Tunnel.Tests.Unit.Deploy;

/// <summary>
/// The environment variables a deploy recipe gives the node, read the way its tool reads them:
/// a compose file's <c>services.*.environment</c> (map or "NAME=value" list), a Kubernetes
/// container's <c>env[].name</c>, a systemd unit's <c>Environment=</c> and an EnvironmentFile's
/// <c>NAME=value</c> lines.
/// </summary>
internal static partial class RecipeVariables
{
    public static IReadOnlyList<string> InCompose(string yaml)
    {
        var names = new List<string>();
        foreach (var document in Documents(yaml))
        {
            if (Child(document, "services") is not YamlMappingNode services) continue;
            foreach (var service in services.Children.Values.OfType<YamlMappingNode>())
            {
                switch (Child(service, "environment"))
                {
                    case YamlMappingNode map:
                        names.AddRange(map.Children.Keys.Select(k => k.ToString()));
                        break;
                    case YamlSequenceNode list:
                        names.AddRange(list.Children.Select(item => item.ToString().Split('=', 2)[0]));
                        break;
                }
            }
        }
        return names;
    }

    /// <summary>Every <c>env</c> list anywhere in the manifests (containers, init containers, any workload kind).</summary>
    public static IReadOnlyList<string> InKubernetes(string yaml)
    {
        var names = new List<string>();
        foreach (var document in Documents(yaml)) CollectEnv(document, names);
        return names;
    }

    public static IReadOnlyList<string> InSystemdUnit(string unit) =>
        unit.Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.StartsWith("Environment=", StringComparison.Ordinal))
            .SelectMany(line => Assignment().Matches(line["Environment=".Length..]).Select(m => m.Groups[1].Value))
            .ToList();

    public static IReadOnlyList<string> InEnvironmentFile(string text) =>
        text.Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split('=', 2)[0].Trim())
            .ToList();

    // NAME=value or "NAME=value with spaces", space-separated (systemd.exec, Environment=).
    [GeneratedRegex("""(?:^|\s)"?([A-Za-z_][A-Za-z0-9_]*)=""")]
    private static partial Regex Assignment();

    private static IEnumerable<YamlNode> Documents(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Select(d => d.RootNode);
    }

    private static YamlNode? Child(YamlNode node, string key) =>
        node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    private static void CollectEnv(YamlNode node, List<string> names)
    {
        switch (node)
        {
            case YamlMappingNode map:
                foreach (var (key, value) in map.Children)
                {
                    if (key.ToString() == "env" && value is YamlSequenceNode env)
                        names.AddRange(env.Children.Select(item => Child(item, "name")?.ToString() ?? ""));
                    CollectEnv(value, names);
                }
                break;
            case YamlSequenceNode list:
                foreach (var item in list.Children) CollectEnv(item, names);
                break;
        }
    }
}
