using System.Net;
using Akka.Configuration;
using Serilog.Events;

namespace Actors.Mqtt.Server.Configuration;

/// <summary>One plain TCP listener.</summary>
/// <param name="Name">The listener's key under <c>actors-mqtt.listeners</c>, carried into every connection's info.</param>
public sealed record TcpListenerSettings(string Name, IPEndPoint EndPoint);

/// <summary>What the host itself reads from the configuration; the broker reads its own keys.</summary>
public sealed record ServerSettings(LogEventLevel LogLevel, IReadOnlyList<TcpListenerSettings> TcpListeners)
{
    private const string LogLevelKey = "actors-mqtt.log.level";
    private const string TcpKey = "actors-mqtt.listeners.tcp";

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

        var host = Read(config, $"{TcpKey}.host", c => c.GetString($"{TcpKey}.host"));
        if (!IPAddress.TryParse(host, out var address))
        {
            throw source.Error($"{TcpKey}.host", $"'{host}' is not an IP address");
        }

        var port = Read(config, $"{TcpKey}.port", c => c.GetInt($"{TcpKey}.port"));
        if (port is < IPEndPoint.MinPort or > IPEndPoint.MaxPort)
        {
            throw source.Error($"{TcpKey}.port", $"{port} is not a port: expected 0 to {IPEndPoint.MaxPort}");
        }

        return new ServerSettings(logLevel, [new TcpListenerSettings("tcp", new IPEndPoint(address, port))]);
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
