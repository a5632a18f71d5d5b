using System.Text;

namespace Tunnel.Node.Configuration;

/// <summary>
/// The line each key of a HOCON text is first written on, by its full path ("tunnel.relay.domains"),
/// so that an error can point at it: Akka's parser keeps no positions. This is a scanner, not a
/// second parser: Akka's parse decides what the file means, this only finds where a key is. It
/// knows what configuration files use: nested objects, dotted and quoted keys, <c>=</c>, <c>:</c>,
/// <c>+=</c> and <c>key { }</c>, # and // comments, strings (also """triple-quoted"""), arrays and
/// <c>${substitutions}</c>. Objects inside arrays are values, not keys, and are skipped. A
/// segment that contains a dot is quoted in the path, as <see cref="KnownKeys"/> writes it.
/// </summary>
public sealed class KeyLines
{
    private readonly string _text;
    private readonly Dictionary<string, int> _lines = [];
    private int _at;
    private int _line = 1;

    private KeyLines(string text) => _text = text;

    public static IReadOnlyDictionary<string, int> Read(string text)
    {
        var scanner = new KeyLines(text);
        scanner.Object(path: "", closing: false);
        return scanner._lines;
    }

    public static string Join(string path, string segment)
    {
        var written = segment.Contains('.') ? $"\"{segment}\"" : segment;
        return path.Length == 0 ? written : $"{path}.{written}";
    }

    private bool More => _at < _text.Length;
    private char Current => _text[_at];
    private char Following => _at + 1 < _text.Length ? _text[_at + 1] : '\0';

    /// <summary>Keys and their values up to the closing brace (or the end of the text).</summary>
    private void Object(string path, bool closing)
    {
        while (true)
        {
            SkipSpace(newlines: true);
            if (!More) return;
            if (Current is ',' or ';') { Advance(); continue; }
            if (Current == '}')
            {
                Advance();
                if (closing) return;
                continue; // a stray brace at the top: Akka's parser will have said so
            }
            if (Current == '{' && path.Length == 0) { Advance(); Object(path, closing: true); continue; } // the root in braces

            var line = _line;
            var segments = Key();
            if (segments.Count == 0) { Advance(); continue; } // not a key (Akka's parse accepted the file, so rarely): move on
            if (segments is ["include"] && PeekAfterSpace() is '"' or 'r' or 'f' or 'c' or 'u')
            {
                Value(path); // include "file": not a key
                continue;
            }
            var full = path;
            foreach (var segment in segments)
            {
                full = Join(full, segment);
                _lines.TryAdd(full, line);
            }
            SkipSpace(newlines: false);
            if (More && Current == '+' && Following == '=') { Advance(); Advance(); }
            else if (More && Current is '=' or ':') Advance();
            SkipSpace(newlines: true);
            Value(full);
        }
    }

    /// <summary>
    /// A path expression: unquoted text split at dots, and quoted segments taken whole. It ends at
    /// a separator, an opening brace, a comment or the end of the line.
    /// </summary>
    private List<string> Key()
    {
        var segments = new List<string>();
        var segment = new StringBuilder();
        var any = false;
        while (More)
        {
            var c = Current;
            if (c == '"')
            {
                segment.Append(QuotedString());
                any = true;
            }
            else if (c == '.')
            {
                segments.Add(segment.ToString());
                segment.Clear();
                Advance();
            }
            else if (char.IsWhiteSpace(c) || c is '=' or ':' or '{' or '}' or '[' or ']' or ',' or '#' or '$' || (c == '+' && Following == '=')
                     || (c == '/' && Following == '/'))
            {
                break;
            }
            else
            {
                segment.Append(c);
                any = true;
                Advance();
            }
        }
        if (!any) return [];
        segments.Add(segment.ToString());
        return segments;
    }

    /// <summary>A value: to the end of its line, a comma or its object's closing brace; objects in it are walked as keys of <paramref name="path"/>.</summary>
    private void Value(string path)
    {
        while (More)
        {
            var c = Current;
            if (c is '\n' or ',' or '}') return;
            if (c == '#' || (c == '/' && Following == '/')) { SkipComment(); return; }
            if (c == '"') QuotedString();
            else if (c == '{') { Advance(); Object(path, closing: true); }
            else if (c == '[') { Advance(); SkipArray(); }
            else if (c == '$' && Following == '{') SkipSubstitution();
            else Advance();
        }
    }

    private void SkipArray()
    {
        var depth = 1;
        while (More && depth > 0)
        {
            var c = Current;
            if (c == '"') { QuotedString(); continue; }
            if (c == '#' || (c == '/' && Following == '/')) { SkipComment(); continue; }
            if (c == '[') depth++;
            else if (c == ']') depth--;
            Advance();
        }
    }

    private void SkipSubstitution()
    {
        while (More && Current != '}') Advance();
        if (More) Advance();
    }

    /// <summary>A "string" or a """triple-quoted string""" (which may span lines); returns its text.</summary>
    private string QuotedString()
    {
        var text = new StringBuilder();
        if (Following == '"' && _at + 2 < _text.Length && _text[_at + 2] == '"')
        {
            Advance(); Advance(); Advance();
            while (More && !(Current == '"' && Following == '"' && _at + 2 < _text.Length && _text[_at + 2] == '"'))
            {
                text.Append(Current);
                Advance();
            }
            while (More && Current == '"') Advance(); // the closing quotes (and any extra, which belong to the string)
            return text.ToString();
        }
        Advance();
        while (More && Current is not ('"' or '\n'))
        {
            if (Current == '\\' && _at + 1 < _text.Length)
            {
                Advance();
                text.Append(Current switch { 'n' => '\n', 't' => '\t', _ => Current });
            }
            else text.Append(Current);
            Advance();
        }
        if (More && Current == '"') Advance();
        return text.ToString();
    }

    private void SkipSpace(bool newlines)
    {
        while (More)
        {
            if (Current == '#' || (Current == '/' && Following == '/'))
            {
                if (!newlines) return;
                SkipComment();
            }
            else if (Current == '\n' ? newlines : char.IsWhiteSpace(Current)) Advance();
            else return;
        }
    }

    private void SkipComment()
    {
        while (More && Current != '\n') Advance();
    }

    private char PeekAfterSpace()
    {
        var at = _at;
        while (at < _text.Length && _text[at] is ' ' or '\t') at++;
        return at < _text.Length ? _text[at] : '\0';
    }

    private void Advance()
    {
        if (_text[_at] == '\n') _line++;
        _at++;
    }
}
