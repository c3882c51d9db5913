namespace Actors.Mqtt.Server.Configuration;

/// <summary>A configuration that must stop start-up, with where it went wrong as precisely as it is known.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(string source, int? line, int? column, string problem)
        : this(new ConfigLocation(source, line, column, IsFile: false), key: null, problem)
    {
    }

    public ConfigException(string source, string problem, Exception innerException)
        : base(Format(new ConfigLocation(source, null, null, IsFile: false), null, problem), innerException)
    {
        Origin = source;
        Problem = problem;
    }

    /// <param name="location">Where the key or text was written.</param>
    /// <param name="key">The full dotted key the problem is about, when it is about one.</param>
    /// <param name="problem">What is wrong, without the location.</param>
    public ConfigException(ConfigLocation location, string? key, string problem)
        : base(Format(location ?? throw new ArgumentNullException(nameof(location)), key, problem))
    {
        Origin = location.Source;
        Line = location.Line;
        Column = location.Column;
        Key = key;
        Problem = problem;
    }

    /// <summary>The file (or <c>--set</c> option, or embedded resource) the problem is in.</summary>
    public string Origin { get; }

    /// <summary>1-based line, when the problem has one.</summary>
    public int? Line { get; }

    /// <summary>1-based column in UTF-16 characters, when the problem has one.</summary>
    public int? Column { get; }

    /// <summary>The full dotted key the problem is about, when it is about one.</summary>
    public string? Key { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string Problem { get; }

    private static string Format(ConfigLocation location, string? key, string problem) =>
        key is null ? $"{location}: {problem}" : $"{location}: {key}: {problem}";
}
