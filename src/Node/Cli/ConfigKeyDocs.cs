using System.Text.RegularExpressions;

namespace Tunnel.Node.Cli;

/// <summary>
/// The documentation of each key, read from the comments above it in cluster.hocon (the
/// embedded defaults), so that `tunnel config check` can explain a bad key with the same words
/// as the file. A key without a comment of its own (an entry of a map, like
/// family-policy-by-domain."gmail.com") gets its parent's.
/// </summary>
public static partial class ConfigKeyDocs
{
    public static IReadOnlyDictionary<string, string> Read(string hocon)
    {
        var docs = new Dictionary<string, string>();
        var path = new Stack<string>();
        var comment = new List<string>();
        foreach (var raw in hocon.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('#'))
            {
                comment.Add(line.TrimStart('#').Trim());
                continue;
            }
            if (line.Length == 0)
            {
                comment.Clear();
                continue;
            }
            if (Block().Match(line) is { Success: true } block)
            {
                path.Push(block.Groups[1].Value);
                Remember(docs, path, null, comment);
            }
            else if (Key().Match(line) is { Success: true } key) Remember(docs, path, key.Groups[1].Value, comment);
            else if (line.StartsWith('}') && path.Count > 0) path.Pop();
            comment.Clear();
        }
        return docs;
    }

    /// <summary>The documentation of <paramref name="key"/> or of its closest documented parent.</summary>
    public static string? For(IReadOnlyDictionary<string, string> docs, string key)
    {
        for (var candidate = key; candidate.Length > 0; candidate = candidate.Contains('.') ? candidate[..candidate.LastIndexOf('.')] : "")
            if (docs.TryGetValue(candidate, out var text)) return text;
        return null;
    }

    private static void Remember(Dictionary<string, string> docs, Stack<string> path, string? key, List<string> comment)
    {
        if (comment.Count == 0) return;
        var full = string.Join(".", path.Reverse().Concat(key is null ? [] : [key]));
        docs.TryAdd(full, string.Join(" ", comment));
    }

    [GeneratedRegex(@"^([A-Za-z0-9_-]+)\s*\{\s*$")]
    private static partial Regex Block();

    [GeneratedRegex(@"^([A-Za-z0-9_.-]+)\s*(=|\{\s*\}|\{.*\})")]
    private static partial Regex Key();
}
