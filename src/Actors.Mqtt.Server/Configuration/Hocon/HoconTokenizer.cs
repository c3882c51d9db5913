using System.Globalization;
using System.Text;

namespace Actors.Mqtt.Server.Configuration.Hocon;

/// <summary>Splits HOCON text into tokens with their line and column, one at a time; comments are dropped, line breaks kept.</summary>
public sealed class HoconTokenizer
{
    // Characters HOCON does not allow in an unquoted string.
    private const string Forbidden = "$\"{}[]:=,+#`^?!@*&\\";

    private readonly string _text;
    private readonly string _source;
    private readonly bool _isFile;
    private int _index;
    private int _line = 1;
    private int _lineStart;

    /// <param name="isFile">Whether <paramref name="source"/> names a file on disk (see <see cref="ConfigLocation.IsFile"/>).</param>
    public HoconTokenizer(string text, string source, bool isFile)
    {
        ArgumentNullException.ThrowIfNull(text);
        _text = text;
        _source = source;
        _isFile = isFile;
    }

    private int Column => _index - _lineStart + 1;

    /// <summary>The next token; <see cref="HoconTokenKind.End"/> at the end, and again on every later call.</summary>
    public HoconToken Next()
    {
        var space = SkipSpaceAndComments();
        return _index >= _text.Length ? new HoconToken(HoconTokenKind.End, "", _line, Column, space) : Next(space);
    }

    private char Peek(int offset) => _index + offset < _text.Length ? _text[_index + offset] : '\0';

    private string SkipSpaceAndComments()
    {
        var start = _index;
        while (_index < _text.Length)
        {
            var c = _text[_index];
            if (c == '#' || (c == '/' && Peek(1) == '/'))
            {
                while (_index < _text.Length && _text[_index] != '\n')
                {
                    _index++;
                }

                start = _index;
            }
            else if (c != '\n' && (char.IsWhiteSpace(c) || c == '\uFEFF'))
            {
                _index++;
            }
            else
            {
                break;
            }
        }

        return _text[start.._index];
    }

    private HoconToken Next(string space)
    {
        var (line, column) = (_line, Column);
        var c = _text[_index];
        HoconToken Single(HoconTokenKind kind)
        {
            _index++;
            return new HoconToken(kind, c.ToString(), line, column, space);
        }

        switch (c)
        {
            case '\n':
                _index++;
                _line++;
                _lineStart = _index;
                return new HoconToken(HoconTokenKind.Newline, "\n", line, column, space);
            case '{':
                return Single(HoconTokenKind.OpenBrace);
            case '}':
                return Single(HoconTokenKind.CloseBrace);
            case '[':
                return Single(HoconTokenKind.OpenBracket);
            case ']':
                return Single(HoconTokenKind.CloseBracket);
            case ',':
                return Single(HoconTokenKind.Comma);
            case '=' or ':':
                return Single(HoconTokenKind.Assign);
            case '+' when Peek(1) == '=':
                _index += 2;
                return new HoconToken(HoconTokenKind.PlusAssign, "+=", line, column, space);
            case '$' when Peek(1) == '{':
                return Substitution(space);
            case '"' when Peek(1) == '"' && Peek(2) == '"':
                return new HoconToken(HoconTokenKind.Quoted, TripleQuoted(), line, column, space);
            case '"':
                return new HoconToken(HoconTokenKind.Quoted, Quoted(), line, column, space);
            default:
                return Unquoted(space);
        }
    }

    private HoconToken Unquoted(string space)
    {
        var (line, column) = (_line, Column);
        var start = _index;
        while (_index < _text.Length)
        {
            var c = _text[_index];
            var exponentSign = c is '+' && _index > start && _text[_index - 1] is 'e' or 'E' && char.IsAsciiDigit(_text[start]);
            if (char.IsWhiteSpace(c) || (Forbidden.Contains(c, StringComparison.Ordinal) && !exponentSign)
                || (c == '/' && Peek(1) == '/'))
            {
                break;
            }

            _index++;
        }

        if (_index == start)
        {
            throw Problem(line, column, $"'{_text[_index]}' is not allowed outside quotes");
        }

        return new HoconToken(HoconTokenKind.Unquoted, _text[start.._index], line, column, space);
    }

    private string Quoted()
    {
        var (line, column) = (_line, Column);
        var value = new StringBuilder();
        _index++;
        while (_index < _text.Length && _text[_index] != '\n')
        {
            var c = _text[_index];
            if (c == '"')
            {
                _index++;
                return value.ToString();
            }

            if (c != '\\')
            {
                value.Append(c);
                _index++;
                continue;
            }

            var escape = Peek(1);
            _index += 2;
            _ = escape switch
            {
                '"' or '\\' or '/' => value.Append(escape),
                'b' => value.Append('\b'),
                'f' => value.Append('\f'),
                'n' => value.Append('\n'),
                'r' => value.Append('\r'),
                't' => value.Append('\t'),
                'u' => value.Append(UnicodeEscape(line, column)),
                _ => throw Problem(_line, Column - 2, $"'\\{escape}' is not an escape: use \\\\ for a backslash"),
            };
        }

        throw Problem(line, column, "string is not closed on its line (missing '\"')");
    }

    private char UnicodeEscape(int line, int column)
    {
        if (_index + 4 > _text.Length
            || !ushort.TryParse(_text.AsSpan(_index, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
        {
            throw Problem(line, column, "'\\u' must be followed by four hexadecimal digits");
        }

        _index += 4;
        return (char)code;
    }

    private string TripleQuoted()
    {
        var (line, column) = (_line, Column);
        var end = _text.IndexOf("\"\"\"", _index + 3, StringComparison.Ordinal);
        if (end < 0)
        {
            throw Problem(line, column, "triple-quoted string is never closed (missing '\"\"\"')");
        }

        var value = _text[(_index + 3)..end];
        // HOCON reads quotes right before the closing three as part of the string; that reads too easily as a
        // mistake, so it is refused with the escaped form as the way out.
        if (end + 3 < _text.Length && _text[end + 3] == '"')
        {
            Advance(end);
            throw Problem(_line, Column, "more than three quotes close a triple-quoted string; use an escaped quoted string instead");
        }

        Advance(end + 3);
        return value;
    }

    private HoconToken Substitution(string space)
    {
        var (line, column) = (_line, Column);
        _index += 2;
        var optional = Peek(0) == '?';
        if (optional)
        {
            _index++;
        }

        var start = _index;
        while (_index < _text.Length && _text[_index] is not ('\n' or '}'))
        {
            _index++;
        }

        if (_index >= _text.Length || _text[_index] != '}')
        {
            throw Problem(line, column, "substitution '${' is not closed on its line (missing '}')");
        }

        var path = _text[start.._index].Trim();
        _index++;
        if (path.Length == 0 || path.Split('.').Any(p => p.Length == 0 || p.Any(c => char.IsWhiteSpace(c) || Forbidden.Contains(c, StringComparison.Ordinal))))
        {
            throw Problem(line, column, $"'{path}' is not a substitution path: expected a key or an environment variable name");
        }

        return new HoconToken(HoconTokenKind.Substitution, path, line, column, space, optional);
    }

    private void Advance(int to)
    {
        while (_index < to)
        {
            if (_text[_index] == '\n')
            {
                _line++;
                _lineStart = _index + 1;
            }

            _index++;
        }
    }

    private ConfigException Problem(int line, int column, string problem) =>
        new(new ConfigLocation(_source, line, column, _isFile), key: null, problem);
}
