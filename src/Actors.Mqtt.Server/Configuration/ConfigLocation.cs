namespace Actors.Mqtt.Server.Configuration;

/// <summary>Where a key or value was written: a file (or <c>--set</c> option, or embedded resource), line and column.</summary>
/// <param name="Source">The file path as the operator named it resolved, <c>--set key=value</c>, or an embedded resource.</param>
/// <param name="Line">1-based line; null for a <c>--set</c> option, which has none.</param>
/// <param name="Column">1-based column in UTF-16 characters, when there is a line.</param>
/// <param name="IsFile">Whether <paramref name="Source"/> is a file on disk, against whose folder relative paths resolve.</param>
public sealed record ConfigLocation(string Source, int? Line, int? Column, bool IsFile)
{
    public override string ToString() => (Line, Column) switch
    {
        ({ } l, { } c) => $"{Source}:{l}:{c}",
        ({ } l, null) => $"{Source}:{l}",
        _ => Source,
    };
}
