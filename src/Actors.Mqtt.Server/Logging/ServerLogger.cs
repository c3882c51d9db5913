using Actors.Mqtt.Server.Configuration;
using Akka.Configuration;
using Serilog;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Display;
using Serilog.Formatting.Json;

namespace Actors.Mqtt.Server.Logging;

/// <summary>
/// The one Serilog logger of the process, for the host and for the actors alike (Akka.Logger.Serilog reads the static
/// <see cref="Log.Logger"/>), so every line has the same shape whoever wrote it.
/// </summary>
public static class ServerLogger
{
    /// <summary>Values are rendered into the message (<c>:lj</c>: strings without quotes), so a line reads as a
    /// sentence: <c>Client sensor-1 connected from 10.0.0.7:53012 ...</c>.</summary>
    public const string ConsoleTemplate = "{Timestamp:yyyy-MM-dd HH:mm:ss.fff zzz} {Level:u3} {Message:lj}{NewLine}{Exception}";

    public static Serilog.ILogger Create(LogSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Is(settings.Level)
            .Enrich.FromLogContext();
        foreach (var (category, level) in settings.Levels)
        {
            configuration.MinimumLevel.Override(category, level);
        }

        if (settings.Console)
        {
            // The template form colours levels on a terminal and writes plain text when redirected (journald, a pipe).
            configuration = settings.Format == LogFormat.Json
                ? configuration.WriteTo.Console(Formatter(settings.Format))
                : configuration.WriteTo.Console(outputTemplate: ConsoleTemplate, formatProvider: System.Globalization.CultureInfo.InvariantCulture);
        }

        if (settings.File is { } file)
        {
            configuration = configuration.WriteTo.File(
                Formatter(settings.Format),
                file,
                fileSizeLimitBytes: settings.MaxFileSize,
                rollOnFileSizeLimit: true,
                retainedFileCountLimit: settings.MaxFiles);
        }

        return configuration.CreateLogger();
    }

    /// <summary>
    /// Akka's logging for the broker's actor system. Akka decides before Serilog whether an actor's event is made at
    /// all: its level must let through the lowest level any category asks for, or a category set to debug would never
    /// see the actors' debug lines. What Akka writes while no logger actor runs goes through Serilog too
    /// (<see cref="AkkaStandardOutLogger"/>).
    /// </summary>
    public static Config AkkaLogging(LogSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var level = settings.LowestLevel switch
        {
            LogEventLevel.Verbose or LogEventLevel.Debug => "DEBUG",
            LogEventLevel.Information => "INFO",
            LogEventLevel.Warning => "WARNING",
            _ => "ERROR",
        };
        var stdoutLogger = typeof(AkkaStandardOutLogger).AssemblyQualifiedName;
        return ConfigurationFactory.ParseString($"akka.loglevel = {level}\nakka.stdout-logger-class = \"{stdoutLogger}\"");
    }

    private static ITextFormatter Formatter(LogFormat format) => format == LogFormat.Json
        // JSON keeps every event, exceptions included, on one line that log shippers read without parsing rules.
        ? new JsonFormatter(renderMessage: true)
        : new MessageTemplateTextFormatter(ConsoleTemplate, System.Globalization.CultureInfo.InvariantCulture);
}
