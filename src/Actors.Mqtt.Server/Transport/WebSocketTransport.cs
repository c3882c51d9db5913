using System.Buffers;
using System.Net.WebSockets;
using Actors.Mqtt.Broker;
using Akka;
using Akka.Streams.Dsl;
using Akka.Util;

namespace Actors.Mqtt.Server.Transport;

/// <summary>
/// A WebSocket as the byte stream MQTT runs on: binary messages in, read as one stream of bytes whatever their frame
/// boundaries; each element out sent as one binary message; and the closing handshake at the end.
/// </summary>
/// <remarks>
/// MQTT packets need not line up with WebSocket frames [MQTT-6.0.0-2]: the broker's connection stage finds the packets,
/// so this adapter only moves bytes. A receive buffer is rented only once a frame has arrived, so an idle connection
/// holds none (docs/architecture.md, Backpressure and memory).
/// </remarks>
public sealed class WebSocketTransport(WebSocket socket)
{
    private const int ReceiveBufferSize = 16 * 1024;

    private static readonly Option<(WebSocketTransport, ReadOnlyMemory<byte>)> Ended = Option<(WebSocketTransport, ReadOnlyMemory<byte>)>.None;

    // The receive the source has in flight, so that closing waits for it instead of starting a second one.
    private readonly Lock gate = new();
    private Task<Option<(WebSocketTransport, ReadOnlyMemory<byte>)>>? receiving;
    private bool closing;

    /// <summary>True once the client sent a text message, which ends the connection [MQTT-6.0.0-1].</summary>
    public bool ReceivedTextMessage { get; private set; }

    /// <summary>The bytes of the client's binary messages; completes when the client closes its side, and fails on a
    /// text message, which MQTT does not allow [MQTT-6.0.0-1].</summary>
    public Source<ReadOnlyMemory<byte>, NotUsed> Source() =>
        Akka.Streams.Dsl.Source.UnfoldAsync<WebSocketTransport, ReadOnlyMemory<byte>>(this, t => t.ReceiveNextAsync());

    /// <summary>Sends each element as one binary message, one at a time, so a slow client slows the stream.</summary>
    public Sink<ReadOnlyMemory<byte>, Task<Done>> Sink() =>
        Akka.Streams.Dsl.Sink.ForEachAsync<ReadOnlyMemory<byte>>(
            1,
            element =>
            {
                BrokerMetrics.BytesSent.Add(element.Length);
                return socket.SendAsync(element, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None).AsTask();
            });

    /// <summary>
    /// Sends the close frame (or answers the client's) and reads until the client's close frame, so the TCP connection
    /// ends cleanly; call it once the stream has stopped sending. Gives up quietly after <paramref name="timeout"/>.
    /// </summary>
    public async Task CloseAsync(WebSocketCloseStatus status, TimeSpan timeout)
    {
        Task? pending;
        lock (gate)
        {
            closing = true;
            pending = receiving;
        }

        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync(status, null, deadline.Token).ConfigureAwait(false);
            }

            if (pending is not null)
            {
                // Whatever it returns, or fails with, is dropped: the broker is done with this connection.
                await pending.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default)
                    .WaitAsync(deadline.Token)
                    .ConfigureAwait(false);
            }

            var scratch = new byte[256];
            while (socket.State == WebSocketState.CloseSent)
            {
                await socket.ReceiveAsync(scratch.AsMemory(), deadline.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException)
        {
            // The client is gone or does not answer; the caller aborts the socket either way.
        }
    }

    private Task<Option<(WebSocketTransport, ReadOnlyMemory<byte>)>> ReceiveNextAsync()
    {
        lock (gate)
        {
            return closing ? Task.FromResult(Ended) : receiving = ReceiveAsync();
        }
    }

    private async Task<Option<(WebSocketTransport, ReadOnlyMemory<byte>)>> ReceiveAsync()
    {
        while (true)
        {
            // A zero-byte read waits for the next frame without a buffer.
            var header = await socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None).ConfigureAwait(false);
            if (header.MessageType == WebSocketMessageType.Close)
            {
                return Ended;
            }

            if (header.MessageType == WebSocketMessageType.Text)
            {
                ReceivedTextMessage = true;
                throw new WebSocketTextMessageException();
            }

            var buffer = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
            try
            {
                var received = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None).ConfigureAwait(false);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    return Ended;
                }

                if (received.Count > 0)
                {
                    BrokerMetrics.BytesReceived.Add(received.Count);

                    // The broker keeps slices of what it receives, so it gets its own copy, not the pooled buffer.
                    return (this, buffer.AsSpan(0, received.Count).ToArray());
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
