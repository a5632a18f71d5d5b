using System.Collections;

namespace Tunnel.Cluster.Observability;

/// <summary>
/// One mail-log line as a structured log state: the text an operator greps (Postfix's shape),
/// and the same facts as named fields for JSON logs and any Microsoft.Extensions.Logging
/// provider. <c>{OriginalFormat}</c> is the text, so providers that look for a template find one.
/// </summary>
public sealed class MailLogLine(string text, IReadOnlyList<KeyValuePair<string, object?>> fields)
    : IReadOnlyList<KeyValuePair<string, object?>>
{
    public string Text { get; } = text;

    public KeyValuePair<string, object?> this[int index] =>
        index < fields.Count ? fields[index] : new KeyValuePair<string, object?>("{OriginalFormat}", Text);

    public int Count => fields.Count + 1;

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => Text;

    public static string Format(MailLogLine line, Exception? _) => line.Text;
}
