using Akka.Event;
using Serilog.Core;
using Serilog.Events;
using AkkaLogLevel = Akka.Event.LogLevel;

namespace Actors.Mqtt.Server.Logging;

/// <summary>
/// What Akka writes while no logger actor runs (before the Serilog logger has started, and after the loggers stopped
/// at shutdown): Akka's own <see cref="StandardOutLogger"/> would print it in a format of its own, from Akka's level,
/// whatever <c>actors-mqtt.log</c> says. This sends it through the process's Serilog logger instead, under the event's
/// category, so its lines look like the others and <c>levels { Akka = ... }</c> applies to them too.
/// </summary>
/// <remarks>Named by <c>akka.stdout-logger-class</c>; Akka makes it with its parameterless constructor.</remarks>
public sealed class AkkaStandardOutLogger : MinimalLogger
{
    protected override void Log(object message)
    {
        if (message is Akka.Event.LogEvent e)
        {
            Serilog.Log.Logger
                .ForContext(Constants.SourceContextPropertyName, e.LogClass?.FullName ?? "Akka")
                .ForContext("LogSource", e.LogSource)
                .Write(Level(e.LogLevel()), e.Cause, "{AkkaMessage:l}", e.Message?.ToString());
        }
        else
        {
            Serilog.Log.Logger.ForContext(Constants.SourceContextPropertyName, "Akka").Information("{AkkaMessage:l}", message?.ToString());
        }
    }

    private static LogEventLevel Level(AkkaLogLevel level) => level switch
    {
        AkkaLogLevel.DebugLevel => LogEventLevel.Debug,
        AkkaLogLevel.InfoLevel => LogEventLevel.Information,
        AkkaLogLevel.WarningLevel => LogEventLevel.Warning,
        _ => LogEventLevel.Error,
    };
}
