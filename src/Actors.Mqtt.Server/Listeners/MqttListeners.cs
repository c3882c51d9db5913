using System.Net;
using Actors.Mqtt.Server.Configuration;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Actors.Mqtt.Server.Listeners;

/// <summary>The MQTT listeners given to Kestrel, and where they actually listen once it has bound them.</summary>
public sealed class MqttListeners
{
    private readonly List<(string Name, ListenOptions Options)> _bound = [];

    internal void Add(KestrelServerOptions kestrel, TcpListenerSettings listener) =>
        kestrel.Listen(listener.EndPoint, options =>
        {
            MqttConnectionHandler.Configure(options, listener.Name);
            _bound.Add((listener.Name, options));
        });

    /// <summary>Name and end point of each listener; a configured port 0 shows here as the port the system chose,
    /// once the host has started.</summary>
    public IReadOnlyList<(string Name, EndPoint EndPoint)> EndPoints =>
        _bound.Select(l => (l.Name, l.Options.EndPoint)).ToList();
}
