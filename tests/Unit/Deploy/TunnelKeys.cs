using Akka.Configuration;
using Akka.Configuration.Hocon;
using Tunnel.Node.Configuration;

namespace Tunnel.Tests.Unit.Deploy;

/// <summary>
/// The configuration keys the node knows: every leaf of the <c>tunnel</c> block of the embedded
/// cluster.hocon, plus any name under a key whose default is an empty object (a map such as
/// <c>tunnel.outbound.family-policy-by-domain</c>), and the environment variables of
/// <see cref="ConfigLoader.Environment"/>. SettingsReader ignores keys it does not read, so a
/// misspelt key in a recipe would otherwise go unnoticed.
/// </summary>
internal static class TunnelKeys
{
    private static readonly (HashSet<string> Leaves, List<string> Maps) Defaults = Read();

    public static IEnumerable<string> Variables => ConfigLoader.Environment.Keys;

    public static bool IsKnown(string key) =>
        Defaults.Leaves.Contains(key) || Defaults.Maps.Any(map => key.StartsWith(map + ".", StringComparison.Ordinal));

    /// <summary>The tunnel.* keys a HOCON text sets (leaves), in order.</summary>
    public static IReadOnlyList<string> SetIn(string hocon)
    {
        var root = ConfigurationFactory.ParseString(hocon).Root;
        var keys = new List<string>();
        if (root.IsObject() && root.GetObject().Items.TryGetValue("tunnel", out var tunnel))
            Collect(tunnel, "tunnel", keys, maps: null);
        return keys;
    }

    /// <summary>The keys of <paramref name="keys"/> the node does not know.</summary>
    public static IReadOnlyList<string> Unknown(IEnumerable<string> keys) => keys.Where(k => !IsKnown(k)).ToList();

    private static (HashSet<string>, List<string>) Read()
    {
        var tunnel = ConfigurationFactory.ParseString(ConfigLoader.DefaultText()).Root.GetObject().Items["tunnel"];
        var leaves = new List<string>();
        var maps = new List<string>();
        Collect(tunnel, "tunnel", leaves, maps);
        return (leaves.ToHashSet(StringComparer.Ordinal), maps);
    }

    private static void Collect(HoconValue value, string path, List<string> leaves, List<string>? maps)
    {
        if (!value.IsObject())
        {
            leaves.Add(path);
            return;
        }
        var items = value.GetObject().Items;
        if (items.Count == 0)
        {
            if (maps is not null) maps.Add(path); // in the defaults: a map whose names are the operator's
            else leaves.Add(path);                // in a recipe: "key {}" sets the key
        }
        foreach (var (name, child) in items)
            Collect(child, $"{path}.{(name.Contains('.') ? $"\"{name}\"" : name)}", leaves, maps);
    }
}
