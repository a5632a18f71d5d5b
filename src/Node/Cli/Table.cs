namespace Tunnel.Node.Cli;

/// <summary>
/// Plain aligned columns for people (like `kubectl get` or `postqueue -p`): an upper-case header
/// line, then one line per row, columns two spaces apart, no borders and no colours, so the
/// output stays greppable and pastes into a ticket unchanged. The last column is never padded.
/// </summary>
public sealed class Table(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public Table Add(params object?[] cells)
    {
        _rows.Add(cells.Select(c => c?.ToString() ?? "").ToArray());
        return this;
    }

    public int Count => _rows.Count;

    public void WriteTo(TextWriter output)
    {
        var widths = headers.Select((h, i) => _rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        Write(output, headers, widths);
        foreach (var row in _rows) Write(output, row, widths);
    }

    private static void Write(TextWriter output, string[] cells, int[] widths) =>
        output.WriteLine(string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd());
}
