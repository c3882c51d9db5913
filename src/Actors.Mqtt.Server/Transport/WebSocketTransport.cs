using System.Buffers;
using System.Net.WebSockets;
using Akka;
using Akka.Streams.Dsl;
using Akka.Util;

namespace Actors.Mqtt.Server.Transport;

/// <summary>
/// A WebSocket as the byte stream MQTT runs on: binary messages in, read as one stream of bytes whatever their frame
/// boundaries; each element out sent as one binary message.
/// </summary>
/// <remarks>
/// MQTT packets need not line up with WebSocket frames [MQTT-6.0.0-2]: the broker's framing stage finds the packets,
/// so this adapter only moves bytes. A receive buffer is rented only once a frame has arrived, so an idle connection
/// holds none (design.md section 2).
/// </remarks>
public static class WebSocketTransport
{
    private const int ReceiveBufferSize = 16 * 1024;

    /// <summary>The bytes of the client's binary messages; completes when the client closes its side, and fails on a
    /// text message, which MQTT does not allow [MQTT-6.0.0-1].</summary>
    public static Source<ReadOnlyMemory<byte>, NotUsed> Source(WebSocket socket) =>
        Akka.Streams.Dsl.Source.UnfoldAsync<WebSocket, ReadOnlyMemory<byte>>(socket, ReceiveAsync);

    /// <summary>Sends each element as one binary message, one at a time, so a slow client slows the stream.</summary>
    public static Sink<ReadOnlyMemory<byte>, Task<Done>> Sink(WebSocket socket) =>
        Akka.Streams.Dsl.Sink.ForEachAsync<ReadOnlyMemory<byte>>(
            1,
            element => socket.SendAsync(element, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None).AsTask());

    private static async Task<Option<(WebSocket, ReadOnlyMemory<byte>)>> ReceiveAsync(WebSocket socket)
    {
        while (true)
        {
            // A zero-byte read waits for the next frame without a buffer.
            var header = await socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None).ConfigureAwait(false);
            if (header.MessageType == WebSocketMessageType.Close)
            {
                return Option<(WebSocket, ReadOnlyMemory<byte>)>.None;
            }

            if (header.MessageType == WebSocketMessageType.Text)
            {
                throw new WebSocketTextMessageException();
            }

            var buffer = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
            try
            {
                var received = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None).ConfigureAwait(false);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    return Option<(WebSocket, ReadOnlyMemory<byte>)>.None;
                }

                if (received.Count > 0)
                {
                    // The broker keeps slices of what it receives, so it gets its own copy, not the pooled buffer.
                    return (socket, buffer.AsSpan(0, received.Count).ToArray());
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}

/// <summary>A client sent a text message where MQTT allows only binary ones.</summary>
public sealed class WebSocketTextMessageException : Exception
{
    public WebSocketTextMessageException()
        : base("the client sent a WebSocket text message; MQTT is carried in binary messages only [MQTT-6.0.0-1]")
    {
    }
}
