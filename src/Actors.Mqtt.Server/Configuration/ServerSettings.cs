using System.Net;
using Akka.Configuration;

namespace Actors.Mqtt.Server.Configuration;

/// <summary>What the host itself reads from the configuration; the broker reads its own keys.</summary>
public sealed record ServerSettings(LogSettings Log, IReadOnlyList<ListenerSettings> Listeners)
{
    /// <summary>Where <c>/metrics</c>, <c>/health</c> and <c>/ready</c> are served; null when the HTTP listener is off.</summary>
    public IPEndPoint? Http { get; init; }

    /// <summary>Reads and checks the host's keys; a wrong value is a <see cref="ConfigException"/> naming its key.</summary>
    public static ServerSettings FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var log = LogSettings.FromConfig(config);
        var listeners = ListenerSettingsReader.Read(config);
        return new ServerSettings(log, listeners) { Http = ListenerSettingsReader.ReadHttp(config, listeners) };
    }
}
