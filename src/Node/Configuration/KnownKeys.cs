using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace Tunnel.Node.Configuration;

/// <summary>
/// The keys a node knows, read from its defaults (the embedded cluster.hocon) at run time, so a
/// key added there is known without a list kept in step here. Under <c>tunnel</c> the rule is:
/// <list type="bullet">
/// <item>an object with keys is a section: each of its keys must be one of the defaults';</item>
/// <item>an empty object (<c>family-policy-by-domain {}</c>) is a map: its entries are the
/// operator's names (domains, addresses) and are never unknown; SettingsReader checks their values;</item>
/// <item>anything else is a value: nothing may be nested under it.</item>
/// </list>
/// Any other top-level block of the defaults (<c>akka</c>) belongs to its library and passes
/// unchecked (Akka.NET reads what it knows and ignores the rest); a top-level key the defaults do
/// not have at all (<c>tunel { }</c>) is unknown, since nothing would ever read it.
/// Postfix does the same for main.cf ("unknown parameter"), but as a warning; here it is an
/// error, because a typo in a relay domain or a limit silently changes what the node does.
/// </summary>
public sealed class KnownKeys
{
    private const string Checked = "tunnel";

    private enum Kind { Section, Map, Value }

    private readonly Dictionary<string, Kind> _kinds = [];

    private KnownKeys(HoconValue defaultsRoot)
    {
        foreach (var (name, value) in defaultsRoot.GetObject().Items)
        {
            var path = KeyLines.Join("", name);
            if (name == Checked) Collect(value, path);
            else _kinds[path] = Kind.Map; // akka { }: the library's own
        }
    }

    public static KnownKeys From(Config defaults) => new(defaults.Root);

    /// <summary>Every known key path, sections and maps included.</summary>
    public IEnumerable<string> All => _kinds.Keys;

    /// <summary>True when <paramref name="path"/> may be set: a known key, or an entry of a map.</summary>
    public bool Knows(string path)
    {
        if (_kinds.ContainsKey(path)) return true;
        return _kinds.Any(k => k.Value == Kind.Map && path.StartsWith(k.Key + ".", StringComparison.Ordinal));
    }

    /// <summary>
    /// The keys <paramref name="own"/> (a file parsed on its own, without the defaults) sets that
    /// the node does not know, each with the line <paramref name="text"/> has it on and the known
    /// key it most likely means. Only the outermost unknown key of a block is named: what is
    /// nested under it is unknown too and adds nothing.
    /// </summary>
    public IReadOnlyList<UnknownKey> UnknownIn(Config own, string file, string text)
    {
        var paths = new List<string>();
        if (own.Root.IsObject()) Walk(own.Root.GetObject(), "", paths);
        if (paths.Count == 0) return [];
        var lines = KeyLines.Read(text);
        return paths
            .Select(p => new UnknownKey(p, file, lines.TryGetValue(p, out var line) ? line : null, Nearest(p)))
            .OrderBy(u => u.Line ?? int.MaxValue)
            .ToList();
    }

    /// <summary>
    /// The known key closest to <paramref name="unknown"/> by edit distance over the whole dotted
    /// path (Damerau–Levenshtein, a transposition counting as one edit), if close enough to be a
    /// typo: at most a third of the last segment's length, between 1 and 3 edits. Failing that, a
    /// known key with the same last segment in another section (<c>tunnel.smtp.verify-mx</c> →
    /// <c>tunnel.relay.verify-mx</c>). Null when nothing is close: a guess would mislead.
    /// </summary>
    public string? Nearest(string unknown)
    {
        var leaf = LastSegment(unknown);
        var threshold = Math.Clamp(leaf.Length / 3, 1, 3);
        var parent = Parent(unknown);
        var typo = _kinds.Keys
            .Select(k => (Key: k, Distance: Distance(unknown, k)))
            .Where(c => c.Distance <= threshold)
            .OrderBy(c => c.Distance).ThenBy(c => Parent(c.Key) == parent ? 0 : 1).ThenBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => c.Key)
            .FirstOrDefault();
        if (typo is not null) return typo;
        return _kinds.Keys
            .Where(k => LastSegment(k) == leaf && k.Contains('.'))
            .OrderBy(k => Distance(unknown, k)).ThenBy(k => k, StringComparer.Ordinal)
            .FirstOrDefault();
    }

    private void Collect(HoconValue value, string path)
    {
        if (!value.IsObject())
        {
            _kinds[path] = Kind.Value;
            return;
        }
        var items = value.GetObject().Items;
        _kinds[path] = items.Count == 0 ? Kind.Map : Kind.Section;
        foreach (var (name, child) in items) Collect(child, KeyLines.Join(path, name));
    }

    private void Walk(HoconObject own, string path, List<string> unknown)
    {
        foreach (var (name, value) in own.Items)
        {
            var key = KeyLines.Join(path, name);
            if (!_kinds.TryGetValue(key, out var kind)) unknown.Add(key);
            else if (kind == Kind.Section && value.IsObject()) Walk(value.GetObject(), key, unknown);
            else if (kind == Kind.Value && value.IsObject()) Walk(value.GetObject(), key, unknown); // nothing is known below a value
            // A map's entries are free; a section given a plain value is SettingsReader's to refuse.
        }
    }

    private static string LastSegment(string path) => path[(path.LastIndexOf('.') + 1)..];

    private static string Parent(string path) => path.LastIndexOf('.') is var dot and > 0 ? path[..dot] : "";

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
