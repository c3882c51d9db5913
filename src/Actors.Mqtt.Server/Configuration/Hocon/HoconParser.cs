using System.Text;
using System.Text.RegularExpressions;

namespace Actors.Mqtt.Server.Configuration.Hocon;

/// <summary>
/// Parses the HOCON operators write into a tree that knows the line of every key: objects with braces and dotted
/// keys, <c>=</c> or <c>:</c>, strings, numbers, booleans, arrays, comments, repeated keys merged, substitutions and
/// concatenations on one line. <c>include</c> and <c>+=</c> are refused with a message saying so.
/// </summary>
public sealed partial class HoconParser
{
    private readonly HoconTokenizer _tokenizer;
    private readonly List<HoconToken> _tokens = [];
    private readonly Stack<string> _keys = new();
    private readonly string _source;
    private readonly bool _isFile;
    private readonly bool _hasLines;
    private int _position;
    private int _depth;

    private HoconParser(string text, string source, bool isFile, bool hasLines)
    {
        var size = Encoding.UTF8.GetByteCount(text);
        if (size > HoconLimits.MaxBytes)
        {
            throw new ConfigException(new ConfigLocation(source, null, null, isFile), null, $"is {size} bytes, more than the limit of {HoconLimits.MaxBytes}");
        }

        _tokenizer = new HoconTokenizer(text, source, isFile);
        _source = source;
        _isFile = isFile;
        _hasLines = hasLines;
    }

    private HoconToken Current => Token(_position);

    /// <summary>Parses <paramref name="text"/>; every problem is a <see cref="ConfigException"/> with line and column.</summary>
    /// <param name="source">What locations name: the file path, the <c>--set</c> option, the resource.</param>
    /// <param name="isFile">Whether <paramref name="source"/> is a file on disk.</param>
    /// <param name="hasLines">False for a one-line text whose source is not a file (a <c>--set</c> option): its
    /// locations then name the source alone.</param>
    public static HoconObject Parse(string text, string source, bool isFile, bool hasLines = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new HoconParser(text, source, isFile, hasLines).Root();
    }

    private HoconObject Root()
    {
        SkipNewlines();
        HoconObject root;
        if (Current.Kind == HoconTokenKind.OpenBrace)
        {
            root = ObjectInBraces();
            SkipNewlines();
        }
        else
        {
            root = new HoconObject(At(Current));
            Fields(root, closer: null);
        }

        return Current.Kind switch
        {
            HoconTokenKind.End => root,
            HoconTokenKind.CloseBrace => throw Problem(Current, "'}' has no matching '{'"),
            _ => throw Problem(Current, $"unexpected '{Current.Text}' after the end of the configuration"),
        };
    }

    private HoconObject ObjectInBraces()
    {
        var open = Take();
        Enter(open);
        var result = new HoconObject(At(open));
        Fields(result, open);
        Take();
        _depth--;
        return result;
    }

    /// <summary>Reads keys up to the <paramref name="closer"/>'s '}' (not taken), or to the end for the root.</summary>
    private void Fields(HoconObject target, HoconToken? closer)
    {
        while (true)
        {
            SkipNewlines();
            var token = Current;
            switch (token.Kind)
            {
                case HoconTokenKind.End when closer is not null:
                    throw Problem(closer, "'{' is never closed");
                case HoconTokenKind.End:
                    return;
                case HoconTokenKind.CloseBrace when closer is not null:
                    return;
                case HoconTokenKind.CloseBrace:
                    throw Problem(token, "'}' has no matching '{'");
                case HoconTokenKind.CloseBracket:
                    throw Problem(token, "']' has no matching '['");
            }

            var key = Field(target);
            switch (Current.Kind)
            {
                case HoconTokenKind.Newline or HoconTokenKind.End or HoconTokenKind.CloseBrace:
                    break;
                case HoconTokenKind.Comma:
                    Take();
                    break;
                default:
                    throw Problem(Current, $"expected a new line or ',' after the value, found '{Current.Text}'{QuoteHint(Current)}", key);
            }
        }
    }

    /// <summary>Reads one key and its value into <paramref name="target"/>; returns the full key.</summary>
    private string Field(HoconObject target)
    {
        var keyToken = Current;
        if (keyToken.Kind == HoconTokenKind.Unquoted && keyToken.Text == "include"
            && Peek(1).Kind is HoconTokenKind.Quoted or HoconTokenKind.Unquoted && Peek(1).SpaceBefore.Length > 0)
        {
            throw Problem(keyToken, "'include' is not supported: put the keys in this file, or override single keys with --set");
        }

        var path = KeyPath();
        if (_depth + path.Count > HoconLimits.MaxDepth + 1)
        {
            throw Problem(keyToken, $"nesting is deeper than {HoconLimits.MaxDepth} levels");
        }

        var fullKey = _keys.TryPeek(out var parentKey) ? $"{parentKey}.{string.Join('.', path)}" : string.Join('.', path);
        _keys.Push(fullKey);
        HoconNode value;
        switch (Current.Kind)
        {
            case HoconTokenKind.OpenBrace:
                value = ObjectInBraces();
                break;
            case HoconTokenKind.Assign:
                Take();
                value = Value();
                break;
            case HoconTokenKind.PlusAssign:
                throw Problem(Current, "'+=' is not supported: write the whole list");
            default:
                throw Problem(Current, "expected '=', ':' or '{' after the key");
        }

        _keys.Pop();

        var location = At(keyToken);
        for (var i = path.Count - 1; i > 0; i--)
        {
            var parent = new HoconObject(location);
            parent.Set(path[i], new HoconField(location, value, null));
            value = parent;
        }

        target.Set(path[0], new HoconField(location, value, null));
        return fullKey;
    }

    /// <summary>A key is quoted and unquoted parts written without space between; a '.' outside quotes separates names.</summary>
    private List<string> KeyPath()
    {
        var first = Current;
        var segments = new List<string>();
        var segment = new StringBuilder();
        var quotedInSegment = false;
        do
        {
            var token = Take();
            if (token.Kind == HoconTokenKind.Quoted)
            {
                segment.Append(token.Text);
                quotedInSegment = true;
                continue;
            }

            if (token.Kind != HoconTokenKind.Unquoted)
            {
                throw Problem(token, $"expected a key, found '{token.Text}'");
            }

            foreach (var c in token.Text)
            {
                if (c != '.')
                {
                    segment.Append(c);
                    continue;
                }

                EndSegment();
            }
        }
        while (Current.Kind is HoconTokenKind.Quoted or HoconTokenKind.Unquoted && Current.SpaceBefore.Length == 0);

        EndSegment();
        return segments;

        void EndSegment()
        {
            if (segment.Length == 0 && !quotedInSegment)
            {
                throw Problem(first, "a key has an empty name: two dots in a row, or a dot at its start or end");
            }

            segments.Add(segment.ToString());
            segment.Clear();
            quotedInSegment = false;
        }
    }

    private HoconNode Value()
    {
        var first = Current;
        switch (first.Kind)
        {
            case HoconTokenKind.OpenBrace:
                return NotConcatenated(ObjectInBraces());
            case HoconTokenKind.OpenBracket:
                return NotConcatenated(Array());
        }

        var parts = new List<(string Space, HoconNode Value)>();
        while (Current.Kind is HoconTokenKind.Unquoted or HoconTokenKind.Quoted or HoconTokenKind.Substitution)
        {
            var token = Take();
            var location = At(token);
            HoconNode part = token.Kind switch
            {
                HoconTokenKind.Substitution => new HoconSubstitution(location, token.Text, token.Optional),
                HoconTokenKind.Quoted => new HoconScalar(location, token.Text, HoconScalarKind.Text),
                _ => Unquoted(location, token.Text),
            };
            parts.Add((parts.Count == 0 ? "" : token.SpaceBefore, part));
        }

        return parts.Count switch
        {
            0 => throw Problem(first, first.Kind is HoconTokenKind.Newline or HoconTokenKind.End
                ? "a key has no value"
                : $"expected a value, found '{first.Text}'{QuoteHint(first)}"),
            1 => NotConcatenated(parts[0].Value),
            _ => NotConcatenated(new HoconConcatenation(At(first), parts)),
        };
    }

    private HoconNode NotConcatenated(HoconNode value) =>
        Current.Kind is HoconTokenKind.OpenBrace or HoconTokenKind.OpenBracket
        || (value is HoconObject or HoconArray && Current.Kind is HoconTokenKind.Unquoted or HoconTokenKind.Quoted or HoconTokenKind.Substitution)
            ? throw Problem(Current, "joining objects or lists with other values is not supported: write one value")
            : value;

    private HoconArray Array()
    {
        var open = Take();
        Enter(open);
        var items = new List<HoconNode>();
        while (true)
        {
            SkipNewlines();
            switch (Current.Kind)
            {
                case HoconTokenKind.CloseBracket:
                    Take();
                    _depth--;
                    return new HoconArray(At(open), items);
                case HoconTokenKind.End or HoconTokenKind.CloseBrace:
                    throw Problem(open, "'[' is never closed");
            }

            items.Add(Value());
            SkipNewlines();
            if (Current.Kind == HoconTokenKind.Comma)
            {
                Take();
            }
            else if (Current.Kind is not (HoconTokenKind.CloseBracket or HoconTokenKind.End or HoconTokenKind.CloseBrace)
                && _tokens[_position - 1].Kind != HoconTokenKind.Newline)
            {
                throw Problem(Current, $"expected ',' or ']' in the list, found '{Current.Text}'");
            }
        }
    }

    private static HoconScalar Unquoted(ConfigLocation location, string text) => text switch
    {
        "true" or "false" => new HoconScalar(location, text, HoconScalarKind.Boolean),
        "null" => new HoconScalar(location, text, HoconScalarKind.Null),
        _ when NumberPattern().IsMatch(text) => new HoconScalar(location, text, HoconScalarKind.Number),
        _ => new HoconScalar(location, text, HoconScalarKind.Text),
    };

    /// <summary>A ':' inside a value (an IPv6 address, a URL) reads as a separator unless the value is quoted.</summary>
    private static string QuoteHint(HoconToken token) =>
        token.Kind == HoconTokenKind.Assign && token.Text == ":" ? " (a value containing ':' must be quoted)" : "";

    private void Enter(HoconToken open)
    {
        if (++_depth > HoconLimits.MaxDepth)
        {
            throw Problem(open, $"nesting is deeper than {HoconLimits.MaxDepth} levels");
        }
    }

    private void SkipNewlines()
    {
        while (Current.Kind == HoconTokenKind.Newline)
        {
            _position++;
        }
    }

    private HoconToken Peek(int offset) => Token(_position + offset);

    private HoconToken Take() => Token(_position++);

    /// <summary>Tokens are read as the parser reaches them, so a broken string is reported with the key it belongs to.</summary>
    private HoconToken Token(int index)
    {
        while (_tokens.Count <= index && (_tokens.Count == 0 || _tokens[^1].Kind != HoconTokenKind.End))
        {
            try
            {
                _tokens.Add(_tokenizer.Next());
            }
            catch (ConfigException e) when (e.Key is null && _keys.Count > 0)
            {
                throw new ConfigException(new ConfigLocation(e.Origin, e.Line, e.Column, _isFile), _keys.Peek(), e.Problem);
            }
        }

        return _tokens[Math.Min(index, _tokens.Count - 1)];
    }

    private ConfigLocation At(HoconToken token) =>
        _hasLines ? new(_source, token.Line, token.Column, _isFile) : new(_source, null, null, _isFile);

    /// <param name="key">The key the problem is about; by default the one whose value is being read, if any.</param>
    private ConfigException Problem(HoconToken token, string problem, string? key = null) =>
        new(At(token), key ?? (_keys.TryPeek(out var current) ? current : null), problem);

    [GeneratedRegex(@"^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$")]
    private static partial Regex NumberPattern();
}
