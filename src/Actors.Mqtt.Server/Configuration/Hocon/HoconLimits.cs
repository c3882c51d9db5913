namespace Actors.Mqtt.Server.Configuration.Hocon;

/// <summary>Bounds on what the loader reads, so a wrong file (a log, a dump, a crafted file) cannot exhaust the process.</summary>
public static class HoconLimits
{
    /// <summary>Far above any real broker configuration; keeps a wrong file out of the parser.</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>Objects and arrays nested in each other; a real configuration nests less than ten deep.</summary>
    public const int MaxDepth = 32;

    /// <summary>Substitutions copy values, so the text handed to Akka may outgrow the file; this caps that growth.</summary>
    public const int MaxRenderedChars = 4 * MaxBytes;
}
