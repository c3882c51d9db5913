namespace Actors.Mqtt.Server.Configuration;

/// <summary>A configuration that must stop start-up, with where it went wrong as precisely as it is known.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(string source, int? line, int? column, string problem)
        : base(Format(source, line, column, problem))
    {
        Origin = source;
        Line = line;
        Column = column;
        Problem = problem;
    }

    public ConfigException(string source, string problem, Exception innerException)
        : base(Format(source, null, null, problem), innerException)
    {
        Origin = source;
        Problem = problem;
    }

    /// <summary>The file (or <c>--set</c> option, or embedded resource) the problem is in.</summary>
    public string Origin { get; }

    /// <summary>1-based line, when the problem has one.</summary>
    public int? Line { get; }

    /// <summary>1-based column in UTF-16 characters, when the problem has one.</summary>
    public int? Column { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string Problem { get; }

    private static string Format(string source, int? line, int? column, string problem) =>
        (line, column) switch
        {
            ({ } l, { } c) => $"{source}:{l}:{c}: {problem}",
            ({ } l, null) => $"{source}:{l}: {problem}",
            _ => $"{source}: {problem}",
        };
}
