using Akka.Configuration;
using Serilog.Events;

namespace Actors.Mqtt.Server.Configuration;

/// <summary>How a log line is written.</summary>
public enum LogFormat
{
    /// <summary>One plain line per event: time, level, and the message with its values in it.</summary>
    Console,

    /// <summary>One JSON object per line, every value a property, for a log shipper.</summary>
    Json,
}

/// <summary>The <c>actors-mqtt.log</c> section: where log lines go, in which format, and from which level on.</summary>
/// <param name="Level">The lowest level written for a category <paramref name="Levels"/> does not name.</param>
/// <param name="Levels">The lowest level per category (a logger's name or a prefix of it, such as <c>Akka</c>); the
/// longest matching prefix wins.</param>
/// <param name="File">A file written as well as (or instead of) the console, or null.</param>
public sealed record LogSettings(
    LogEventLevel Level,
    LogFormat Format,
    bool Console,
    string? File,
    long MaxFileSize,
    int MaxFiles,
    IReadOnlyDictionary<string, LogEventLevel> Levels)
{
    public const string Key = "actors-mqtt.log";
    public const string LevelsKey = Key + ".levels";

    /// <summary>The lowest level any category may write: lower events need not be made at all.</summary>
    public LogEventLevel LowestLevel => Levels.Values.Append(Level).Min();

    /// <summary>Reads and checks <c>actors-mqtt.log</c>; a wrong value is a <see cref="ConfigException"/> naming its key.</summary>
    public static LogSettings FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var source = ConfigSource.Of(config);
        var level = ParseLevel(source, $"{Key}.level", null, Text(config, source, $"{Key}.level"));
        var format = Text(config, source, $"{Key}.format") switch
        {
            "console" => LogFormat.Console,
            "json" => LogFormat.Json,
            var other => throw source.Error($"{Key}.format", $"'{other}' is not a format: expected console or json"),
        };
        var console = Boolean(config, source, $"{Key}.console");
        var file = config.GetString($"{Key}.file", null) is { Length: > 0 } path ? Writable(source, $"{Key}.file", path) : null;
        var maxFileSize = config.GetByteSize($"{Key}.max-file-size") is { } size and > 0
            ? size
            : throw source.Error($"{Key}.max-file-size", "must be more than 0 bytes");
        var maxFiles = config.GetInt($"{Key}.max-files");
        if (maxFiles < 1)
        {
            throw source.Error($"{Key}.max-files", $"{maxFiles} files: expected 1 or more (the file being written counts)");
        }


        var levels = new Dictionary<string, LogEventLevel>(StringComparer.Ordinal);
        if (config.HasPath(LevelsKey))
        {
            foreach (var (category, value) in config.GetConfig(LevelsKey).Root.GetObject().Items)
            {
                if (category.Length == 0 || category.StartsWith('.') || category.EndsWith('.'))
                {
                    throw source.MapEntryError(LevelsKey, category, "is not a category: expected a logger name or a prefix of one, such as Akka or Actors.Mqtt.Broker.Sessions");
                }

                levels[category] = ParseLevel(source, LevelsKey, category, value.IsString() ? value.GetString() : value.ToString());
            }
        }

        return new LogSettings(level, format, console, file, maxFileSize, maxFiles, levels);
    }

    private static LogEventLevel ParseLevel(ConfigSource source, string key, string? category, string text)
    {
        if (Enum.TryParse<LogEventLevel>(text, ignoreCase: true, out var level) && Enum.IsDefined(level) && !int.TryParse(text, out _))
        {
            return level;
        }

        var problem = $"'{text}' is not a level: expected one of {string.Join(", ", Enum.GetNames<LogEventLevel>())}";
        throw category is null ? source.Error(key, problem) : source.MapEntryError(key, category, problem);
    }

    /// <summary>The full path of the log file, relative to the working directory as the store's is. The logger would
    /// only report a file it cannot open on its own diagnostics channel, so it is opened here once to stop start-up.</summary>
    private static string Writable(ConfigSource source, string key, string path)
    {
        var full = Path.GetFullPath(path);
        try
        {
            if (Path.GetDirectoryName(full) is { } directory)
            {
                Directory.CreateDirectory(directory);
            }

            using var probe = new FileStream(full, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            return full;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw source.Error(key, $"'{full}' cannot be written: {e.Message}");
        }
    }

    private static string Text(Config config, ConfigSource source, string key) =>
        config.HasPath(key) ? config.GetString(key) : throw source.Error(key, "is missing");

    private static bool Boolean(Config config, ConfigSource source, string key) => Text(config, source, key) switch
    {
        "true" or "on" => true,
        "false" or "off" => false,
        var other => throw source.Error(key, $"'{other}' is not a boolean: expected true or false"),
    };
}
