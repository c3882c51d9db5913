using System.IO.Pipelines;
using System.Net;
using Actors.Mqtt.Broker.Connections;
using Actors.Mqtt.Server.Configuration;
using Actors.Mqtt.Server.Transport;
using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using ConnectionInfo = Actors.Mqtt.Broker.Connections.ConnectionInfo;

namespace Actors.Mqtt.Server.Listeners;

/// <summary>
/// Runs one accepted TCP or TLS connection as <c>socket bytes → broker flow → socket bytes</c> until the flow ends its output;
/// Kestrel closes the socket when this returns.
/// </summary>
public sealed partial class MqttConnectionHandler(
    IConnectionFlowFactory flowFactory,
    ConnectionStreams streams,
    ConnectionAdmission admission,
    ILogger<MqttConnectionHandler> logger)
{
    // Built once for every connection; each run names its pipes in a ConnectionPipes attribute.
    private static readonly Source<ReadOnlyMemory<byte>, NotUsed> Input = Source.FromGraph(new PipeReaderSource());
    private static readonly Sink<ReadOnlyMemory<byte>, Task> Output = Sink.FromGraph(new PipeWriterSink());

    public async Task OnConnectedAsync(ConnectionContext connection, ListenerSettings listener)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(listener);

        // Refused before a byte is read; returning closes the socket.
        using var admitted = admission.TryAdmit(listener, (connection.RemoteEndPoint as IPEndPoint)?.Address, connection.RemoteEndPoint?.ToString() ?? "unknown");
        if (admitted is null)
        {
            return;
        }

        var info = new ConnectionInfo(
            listener.Name,
            connection.RemoteEndPoint?.ToString() ?? "unknown",
            connection.LocalEndPoint?.ToString() ?? "unknown",
            listener.Tls is { UseIdentityAsUsername: true }
                ? TlsListenerOptions.Identity(connection.Features.Get<ITlsConnectionFeature>()?.ClientCertificate)
                : null);
        LogConnected(info.ListenerName, info.RemoteEndPoint);

        // Everything stays inside this try: whatever one connection's flow does, the exception ends only that connection.
        try
        {
            await BrokerFlowRunner.RunAsync(
                Input,
                Output,
                flowFactory.Create(info),
                streams,
                new Attributes(new ConnectionPipes(connection.Transport.Input, connection.Transport.Output)),
                connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None,
                () => StopReading(connection.Transport.Input)).ConfigureAwait(false);
            LogDisconnected(info.ListenerName, info.RemoteEndPoint);
        }
        catch (Exception e) when (e is IOException or ConnectionAbortedException)
        {
            LogDisconnectedByNetwork(info.ListenerName, info.RemoteEndPoint, e.Message);
        }
        catch (Exception e)
        {
            LogFailed(e, info.ListenerName, info.RemoteEndPoint);
        }
    }

    /// <summary>
    /// Ends the input stage's reading: its current or next read returns cancelled, and it completes. A reader the stage
    /// completed already may refuse; there is nothing left to stop then.
    /// </summary>
    private static void StopReading(PipeReader input)
    {
        try
        {
            input.CancelPendingRead();
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            // Completed or disposed: not reading any more.
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Listener} connection from {Remote} opened")]
    private partial void LogConnected(string listener, string remote);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Listener} connection from {Remote} closed")]
    private partial void LogDisconnected(string listener, string remote);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Listener} connection from {Remote} closed by the network: {Reason}")]
    private partial void LogDisconnectedByNetwork(string listener, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Listener} connection from {Remote} failed")]
    private partial void LogFailed(Exception exception, string listener, string remote);
}
