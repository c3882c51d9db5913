namespace Actors.Mqtt.Broker.Security;

/// <summary>A password or ACL file that cannot be used, with the line at fault when there is one.</summary>
public sealed class SecurityFileException : Exception
{
    public SecurityFileException(string file, int? line, string problem)
        : base(line is { } l ? $"{file}:{l}: {problem}" : $"{file}: {problem}")
    {
        File = file;
        Line = line;
        Problem = problem;
    }

    public SecurityFileException(string file, string problem, Exception innerException)
        : base($"{file}: {problem}", innerException)
    {
        File = file;
        Problem = problem;
    }

    public string File { get; }

    /// <summary>1-based line, when the problem has one.</summary>
    public int? Line { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string Problem { get; }
}
