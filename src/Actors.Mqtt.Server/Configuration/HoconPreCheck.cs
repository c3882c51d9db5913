using System.Text;

namespace Actors.Mqtt.Server.Configuration;

/// <summary>
/// A lexical check of HOCON text that runs before Akka's parser sees it, so that the parser is only ever given
/// text it can neither hang on nor silently truncate.
/// </summary>
/// <remarks>
/// Akka's parser loops forever on an unterminated array followed by <c>}</c>, and accepts a missing <c>}</c> or an
/// unterminated string while dropping the settings after it (design.md section 11). This check knows only enough
/// HOCON to find those: comments, quoted and triple-quoted strings, substitutions and brackets. It does not validate
/// keys or values; that is the strict loader's job.
/// </remarks>
public static class HoconPreCheck
{
    /// <summary>Far above any real broker configuration; keeps a wrong file (a log, a dump) out of the parser.</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>Akka's parser recurses per level; a real configuration nests less than ten deep.</summary>
    public const int MaxDepth = 32;

    /// <summary>Throws a <see cref="ConfigException"/> naming <paramref name="source"/>, line and column of the first problem.</summary>
    public static void Check(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var size = Encoding.UTF8.GetByteCount(text);
        if (size > MaxBytes)
        {
            throw new ConfigException(source, null, null, $"is {size} bytes, more than the limit of {MaxBytes}");
        }

        new Scanner(text, source).Run();
    }

    private readonly record struct Bracket(char Char, int Line, int Column);

    private sealed class Scanner(string text, string source)
    {
        private readonly Stack<Bracket> _open = new();
        private int _index;
        private int _line = 1;
        private int _lineStart;

        private int Column => _index - _lineStart + 1;

        public void Run()
        {
            while (_index < text.Length)
            {
                var c = text[_index];
                if (c == '\n')
                {
                    NewLine();
                }
                else if (c == '#' || (c == '/' && Peek(1) == '/'))
                {
                    SkipToEndOfLine();
                }
                else if (c == '"' && Peek(1) == '"' && Peek(2) == '"')
                {
                    SkipTripleQuoted();
                }
                else if (c == '"')
                {
                    SkipQuoted();
                }
                else if (c == '$' && Peek(1) == '{')
                {
                    SkipSubstitution();
                }
                else if (c is '{' or '[')
                {
                    Open(c);
                }
                else if (c is '}' or ']')
                {
                    Close(c);
                }
                else
                {
                    _index++;
                }
            }

            if (_open.TryPeek(out var unclosed))
            {
                throw Problem(unclosed.Line, unclosed.Column, $"'{unclosed.Char}' is never closed");
            }
        }

        private char Peek(int offset) => _index + offset < text.Length ? text[_index + offset] : '\0';

        private void NewLine()
        {
            _index++;
            _line++;
            _lineStart = _index;
        }

        private void SkipToEndOfLine()
        {
            while (_index < text.Length && text[_index] != '\n')
            {
                _index++;
            }
        }

        private void SkipQuoted()
        {
            var (line, column) = (_line, Column);
            _index++;
            while (_index < text.Length && text[_index] != '\n')
            {
                var c = text[_index];
                if (c == '"')
                {
                    _index++;
                    return;
                }

                // An escape never ends the string, but an escaped line break is still a line break.
                _index += c == '\\' && Peek(1) != '\n' ? 2 : 1;
            }

            throw Problem(line, column, "string is not closed on its line (missing '\"')");
        }

        private void SkipTripleQuoted()
        {
            var (line, column) = (_line, Column);
            var end = text.IndexOf("\"\"\"", _index + 3, StringComparison.Ordinal);
            if (end < 0)
            {
                throw Problem(line, column, "triple-quoted string is never closed (missing '\"\"\"')");
            }

            // HOCON reads quotes right before the closing three as part of the string; Akka's parser does not close
            // the string there at all and swallows the rest of the file, so that form is refused outright.
            if (end + 3 < text.Length && text[end + 3] == '"')
            {
                Advance(end);
                throw Problem(_line, Column, "more than three quotes close a triple-quoted string; use an escaped quoted string instead");
            }

            end += 3;
            Advance(end);
        }

        private void Advance(int to)
        {
            while (_index < to)
            {
                if (text[_index] == '\n')
                {
                    NewLine();
                }
                else
                {
                    _index++;
                }
            }
        }

        private void SkipSubstitution()
        {
            var (line, column) = (_line, Column);
            _index += 2;
            while (_index < text.Length && text[_index] != '\n')
            {
                if (text[_index] == '}')
                {
                    _index++;
                    return;
                }

                if (text[_index] == '"')
                {
                    SkipQuoted();
                }
                else
                {
                    _index++;
                }
            }

            throw Problem(line, column, "substitution '${' is not closed on its line (missing '}')");
        }

        private void Open(char c)
        {
            _open.Push(new Bracket(c, _line, Column));
            if (_open.Count > MaxDepth)
            {
                throw Problem(_line, Column, $"nesting is deeper than {MaxDepth} levels");
            }

            _index++;
        }

        private void Close(char c)
        {
            var expected = c == '}' ? '{' : '[';
            if (!_open.TryPop(out var opened))
            {
                throw Problem(_line, Column, $"'{c}' has no matching '{expected}'");
            }

            if (opened.Char != expected)
            {
                // Report the opener: a missing ']' or '}' is the usual mistake, and that is where it belongs.
                throw Problem(
                    opened.Line,
                    opened.Column,
                    $"'{opened.Char}' is never closed (found '{c}' at line {_line}, column {Column} first)");
            }

            _index++;
        }

        private ConfigException Problem(int line, int column, string problem) => new(source, line, column, problem);
    }
}
