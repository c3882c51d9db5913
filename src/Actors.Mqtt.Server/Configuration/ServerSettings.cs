using System.Net;
using Akka.Configuration;
using Serilog.Events;

namespace Actors.Mqtt.Server.Configuration;

/// <summary>What the host itself reads from the configuration; the broker reads its own keys.</summary>
public sealed record ServerSettings(LogEventLevel LogLevel, IReadOnlyList<ListenerSettings> Listeners)
{
    /// <summary>Where <c>/metrics</c>, <c>/health</c> and <c>/ready</c> are served; null when the HTTP listener is off.</summary>
    public IPEndPoint? Http { get; init; }

    private const string LogLevelKey = "actors-mqtt.log.level";

    /// <summary>Reads and checks the host's keys; a wrong value is a <see cref="ConfigException"/> naming its key.</summary>
    public static ServerSettings FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var source = ConfigSource.Of(config);
        var level = Read(config, LogLevelKey, c => c.GetString(LogLevelKey));
        if (!Enum.TryParse<LogEventLevel>(level, ignoreCase: true, out var logLevel) || !Enum.IsDefined(logLevel))
        {
            throw source.Error(LogLevelKey, $"'{level}' is not a level: expected one of {string.Join(", ", Enum.GetNames<LogEventLevel>())}");
        }

        var listeners = ListenerSettingsReader.Read(config);
        return new ServerSettings(logLevel, listeners) { Http = ListenerSettingsReader.ReadHttp(config, listeners) };
    }

    private static T Read<T>(Config config, string key, Func<Config, T> read)
    {
        var source = ConfigSource.Of(config);
        if (!config.HasPath(key))
        {
            throw source.Error(key, "is missing");
        }

        try
        {
            return read(config);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Only a configuration the strict loader did not check can get here.
            throw source.Error(key, $"has a value of the wrong type: {e.Message}");
        }
    }
}
