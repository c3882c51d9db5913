using System.Net;
using Actors.Mqtt.Server.Configuration;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Actors.Mqtt.Server.Listeners;

/// <summary>The MQTT listeners given to Kestrel, and where they actually listen once it has bound them.</summary>
public sealed class MqttListeners(IReadOnlyList<ListenerSettings> listeners)
{
    // Kestrel runs one HTTP pipeline for all WebSocket listeners, so each tags its connections with its own settings.
    private const string ListenerItem = "actors-mqtt.listener";

    private readonly List<(string Name, ListenOptions Options)> _bound = [];

    /// <summary>Whether any listener serves WebSocket, so the host has to map its HTTP endpoint.</summary>
    public bool HasWebSocketListeners { get; } = listeners.Any(l => l.Kind is ListenerKind.Ws or ListenerKind.Wss);

    /// <summary>Name and end point of each listener; a configured port 0 shows here as the port the system chose,
    /// once the host has started.</summary>
    public IReadOnlyList<(string Name, EndPoint EndPoint)> EndPoints =>
        _bound.Select(l => (l.Name, l.Options.EndPoint)).ToList();

    /// <summary>The end point of the listener called <paramref name="name"/>.</summary>
    public EndPoint EndPointOf(string name) =>
        _bound.Single(l => l.Name == name).Options.EndPoint;

    /// <summary>The WebSocket listener a connection arrived on, as tagged when it was accepted.</summary>
    internal static ListenerSettings? ListenerOf(IDictionary<object, object?>? items) =>
        items is not null && items.TryGetValue(ListenerItem, out var listener) ? listener as ListenerSettings : null;

    /// <summary>Gives every listener to Kestrel.</summary>
    internal void Configure(KestrelServerOptions kestrel)
    {
        var logger = kestrel.ApplicationServices.GetRequiredService<ILogger<MqttListeners>>();
        foreach (var listener in listeners)
        {
            Add(kestrel, listener, logger);
        }
    }

    private void Add(KestrelServerOptions kestrel, ListenerSettings listener, ILogger logger) =>
        kestrel.Listen(listener.EndPoint, options =>
        {
            if (listener.Kind is ListenerKind.Ws or ListenerKind.Wss)
            {
                options.Use(next => connection =>
                {
                    connection.Items[ListenerItem] = listener;
                    return next(connection);
                });

                // WebSocket over HTTP/1.1 is what every MQTT client speaks; no HTTP/2 negotiation to get wrong.
                options.Protocols = HttpProtocols.Http1;
            }

            if (listener.Tls is not null)
            {
                options.UseHttps(TlsListenerOptions.Create(listener, logger));
            }

            if (listener.Kind is ListenerKind.Tcp or ListenerKind.Tls)
            {
                // Each TCP listener hands its settings to the handler itself: a tag in the connection's items would
                // cost every connection a dictionary.
                var handler = options.ApplicationServices.GetRequiredService<MqttConnectionHandler>();
                options.Run(connection => handler.OnConnectedAsync(connection, listener));
            }

            _bound.Add((listener.Name, options));
        });
}
