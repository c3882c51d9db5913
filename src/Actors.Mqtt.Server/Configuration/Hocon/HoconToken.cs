namespace Actors.Mqtt.Server.Configuration.Hocon;

public enum HoconTokenKind
{
    OpenBrace,
    CloseBrace,
    OpenBracket,
    CloseBracket,
    Comma,
    Assign,
    PlusAssign,
    Newline,
    Unquoted,
    Quoted,
    Substitution,
    End,
}

/// <summary>One token of HOCON text.</summary>
/// <param name="Text">The unquoted text, the string's value, or a substitution's path.</param>
/// <param name="SpaceBefore">Whitespace right before the token on its line, kept because a concatenation keeps it.</param>
/// <param name="Optional">For a substitution: <c>${?path}</c>.</param>
public sealed record HoconToken(HoconTokenKind Kind, string Text, int Line, int Column, string SpaceBefore, bool Optional = false);
