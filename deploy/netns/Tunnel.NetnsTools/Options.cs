using System.Net;

namespace Tunnel.NetnsTools;

/// <summary>"--name value" pairs; a name may repeat (several --listen).</summary>
public sealed class Options
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    public static Options Parse(IEnumerable<string> arguments)
    {
        var options = new Options();
        using var next = arguments.GetEnumerator();
        while (next.MoveNext())
        {
            var name = next.Current;
            if (!name.StartsWith("--", StringComparison.Ordinal) || !next.MoveNext())
                throw new UsageException($"expected '--name value', got '{name}'");
            options.Add(name[2..], next.Current);
        }
        return options;
    }

    public string Required(string name) => Optional(name) ?? throw new UsageException($"--{name} is required");

    public string? Optional(string name) => _values.TryGetValue(name, out var values) ? values[^1] : null;

    public IReadOnlyList<string> All(string name) => _values.TryGetValue(name, out var values) ? values : [];

    public IPEndPoint Endpoint(string text) =>
        IPEndPoint.TryParse(text, out var endPoint) && endPoint.Port != 0
            ? endPoint
            : throw new UsageException($"'{text}' is not an \"address:port\" endpoint (IPv6 in brackets)");

    private void Add(string name, string value)
    {
        if (!_values.TryGetValue(name, out var values)) _values[name] = values = [];
        values.Add(value);
    }
}

public sealed class UsageException(string message) : Exception(message);
