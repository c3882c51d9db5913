using System.Net.WebSockets;
using Actors.Mqtt.Broker.Connections;
using Actors.Mqtt.Server.Transport;
using Akka.Streams;
using Microsoft.AspNetCore.Connections.Features;
using ConnectionInfo = Actors.Mqtt.Broker.Connections.ConnectionInfo;

namespace Actors.Mqtt.Server.Listeners;

/// <summary>
/// The HTTP side of the WS and WSS listeners: upgrades a request on the listener's path that asks for the
/// <c>mqtt</c> sub-protocol, and runs the WebSocket as <c>binary messages → broker flow → binary messages</c>.
/// </summary>
public sealed partial class MqttWebSocketHandler(
    IConnectionFlowFactory flowFactory,
    ConnectionStreams streams,
    ConnectionAdmission admission,
    ILogger<MqttWebSocketHandler> logger)
{
    /// <summary>The sub-protocol MQTT names [MQTT-6.0.0-3], and the one MQTT 3.1 clients ask for.</summary>
    private static readonly string[] SubProtocols = ["mqtt", "mqttv3.1"];

    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var listener = MqttListeners.ListenerOf(context.Features.Get<IConnectionItemsFeature>()?.Items);
        if (listener?.Path is null || context.Request.Path != listener.Path)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var subProtocol = SubProtocols.FirstOrDefault(context.WebSockets.WebSocketRequestedProtocols.Contains);
        if (!context.WebSockets.IsWebSocketRequest || subProtocol is null)
        {
            var reason = context.WebSockets.IsWebSocketRequest ? "no mqtt sub-protocol" : "not a WebSocket request";
            LogRefused(listener.Name, context.Connection.RemoteIpAddress, reason);
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("MQTT over WebSocket: connect with the WebSocket sub-protocol mqtt\n", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        // Refused before the upgrade, so before any MQTT is read; aborting closes the connection at once.
        using var admitted = admission.TryAdmit(listener, context.Connection.RemoteIpAddress, Remote(context));
        if (admitted is null)
        {
            context.Abort();
            return;
        }

        // The selected sub-protocol is the one the client asked for [MQTT-6.0.0-4].
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { SubProtocol = subProtocol }).ConfigureAwait(false);
        var info = new ConnectionInfo(
            listener.Name,
            Remote(context),
            $"{context.Connection.LocalIpAddress}:{context.Connection.LocalPort}",
            listener.Tls is { UseIdentityAsUsername: true } ? TlsListenerOptions.Identity(context.Connection.ClientCertificate) : null);
        LogConnected(info.ListenerName, info.RemoteEndPoint);
        await RunAsync(context, socket, info).ConfigureAwait(false);
    }

    private static string Remote(HttpContext context) => $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}";

    private async Task RunAsync(HttpContext context, WebSocket socket, ConnectionInfo info)
    {
        var transport = new WebSocketTransport(socket);

        // Everything stays inside this try: whatever one connection's flow does, the exception ends only that connection.
        try
        {
            await BrokerFlowRunner.RunAsync(
                transport.Source(),
                transport.Sink(),
                flowFactory.Create(info),
                streams,
                Attributes.None,
                context.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None).ConfigureAwait(false);

            // A text message ends the input; the broker closes the connection as for a client that went away.
            if (transport.ReceivedTextMessage)
            {
                await transport.CloseAsync(WebSocketCloseStatus.InvalidMessageType, CloseTimeout).ConfigureAwait(false);
                LogTextMessage(info.ListenerName, info.RemoteEndPoint);
            }
            else
            {
                await transport.CloseAsync(WebSocketCloseStatus.NormalClosure, CloseTimeout).ConfigureAwait(false);
                LogDisconnected(info.ListenerName, info.RemoteEndPoint);
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException)
        {
            LogDisconnectedByNetwork(info.ListenerName, info.RemoteEndPoint, e.Message);
        }
        catch (Exception e)
        {
            LogFailed(e, info.ListenerName, info.RemoteEndPoint);
        }
        finally
        {
            // Releases a receive still pending on a client that never answered the close.
            socket.Abort();
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Listener} WebSocket connection from {Remote} opened")]
    private partial void LogConnected(string listener, string remote);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Listener} WebSocket request from {Remote} refused: {Reason}")]
    private partial void LogRefused(string listener, System.Net.IPAddress? remote, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Listener} WebSocket connection from {Remote} closed")]
    private partial void LogDisconnected(string listener, string remote);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Listener} WebSocket connection from {Remote} closed: the client sent a text message, MQTT allows binary messages only [MQTT-6.0.0-1]")]
    private partial void LogTextMessage(string listener, string remote);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Listener} WebSocket connection from {Remote} closed by the network: {Reason}")]
    private partial void LogDisconnectedByNetwork(string listener, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Listener} WebSocket connection from {Remote} failed")]
    private partial void LogFailed(Exception exception, string listener, string remote);
}
