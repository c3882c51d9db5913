using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Codec;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Bench.Clients;

/// <summary>
/// A lean MQTT 3.1.1 client on a TCP socket, speaking through the project's codec: cheap enough per message that
/// a few of them can saturate a broker, which MQTTnet's per-message tasks cannot on two cores.
/// </summary>
public sealed class RawMqttConnection : IAsyncDisposable
{
    public const MqttProtocolVersion Version = MqttProtocolVersion.V311;
    private const int MaximumPacketSize = 1 << 20;
    private const int DefaultBufferSize = 64 * 1024;
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(30);

    private readonly Socket socket;
    private readonly SemaphoreSlim sendLock = new(1, 1);
    private readonly Utf8StringCache topicCache = new();
    private byte[] buffer;
    private int filled;

    private RawMqttConnection(Socket socket, int bufferSize)
    {
        this.socket = socket;
        buffer = new byte[bufferSize];
    }

    /// <summary>What the CONNACK said: the broker kept a session for this client id (clean session 0 only).</summary>
    public bool SessionPresent { get; private set; }

    /// <summary>Opens a socket, sends CONNECT (MQTT 3.1.1, keep alive off) and waits for a successful CONNACK.</summary>
    /// <param name="receiveBufferSize">A small kernel buffer makes a reader that stops reading back up quickly.</param>
    /// <param name="bufferSize">The first size of this client's read buffer, which doubles when a packet needs more:
    /// thousands of idle connections held at once would take 64 KiB each otherwise.</param>
    public static async Task<RawMqttConnection> ConnectAsync(IPEndPoint target, string clientId, CancellationToken cancellationToken, bool cleanSession = true, int? receiveBufferSize = null, int bufferSize = DefaultBufferSize)
    {
        ArgumentNullException.ThrowIfNull(target);
        var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferSize is { } size)
        {
            socket.ReceiveBufferSize = size;
        }

        var connection = new RawMqttConnection(socket, bufferSize);
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(HandshakeTimeout);
            await socket.ConnectAsync(target, deadline.Token);
            await connection.SendPacketAsync(new ConnectPacket { ProtocolVersion = Version, ClientId = clientId, CleanSession = cleanSession }, deadline.Token);
            var connAck = await connection.ReceivePacketAsync(deadline.Token) as ConnAckPacket
                ?? throw new IOException("the broker answered CONNECT with something else than CONNACK");
            if (connAck.ReasonCode != ReasonCode.Success)
            {
                throw new IOException($"the broker refused CONNECT: {connAck.ReasonCode}");
            }

            connection.SessionPresent = connAck.SessionPresent;

            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Subscribes to one filter and waits for a SUBACK that grants it.</summary>
    public async Task SubscribeAsync(string filter, QualityOfService qos, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(HandshakeTimeout);
        await SendPacketAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription(filter) { MaximumQoS = qos }] }, deadline.Token);
        var subAck = await ReceivePacketAsync(deadline.Token) as SubAckPacket
            ?? throw new IOException("the broker answered SUBSCRIBE with something else than SUBACK");
        if (subAck.ReasonCodes.Count != 1 || (byte)subAck.ReasonCodes[0] >= 0x80)
        {
            throw new IOException($"the broker refused the subscription to {filter}: {string.Join(", ", subAck.ReasonCodes)}");
        }
    }

    public async Task SendPacketAsync(MqttPacket packet, CancellationToken cancellationToken)
    {
        var writer = new ArrayBufferWriter<byte>();
        MqttPacketEncoder.Encode(packet, Version, writer);
        await SendAsync(writer.WrittenMemory, cancellationToken);
    }

    /// <summary>Sends bytes holding whole packets; concurrent callers take turns so packets never interleave.</summary>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await sendLock.WaitAsync(cancellationToken);
        try
        {
            while (!bytes.IsEmpty)
            {
                var sent = await socket.SendAsync(bytes, SocketFlags.None, cancellationToken);
                bytes = bytes[sent..];
            }
        }
        finally
        {
            sendLock.Release();
        }
    }

    /// <summary>
    /// Reads packets until the broker closes the connection (returns a reason) or <paramref name="cancellationToken"/>
    /// fires (returns null). <paramref name="onPacket"/> runs for each packet; a PUBLISH payload is only valid during
    /// that call. With <paramref name="acknowledge"/> every QoS 1 PUBLISH is answered with a PUBACK, one send per read.
    /// </summary>
    public async Task<string?> ReadLoopAsync(Action<MqttPacket> onPacket, bool acknowledge, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onPacket);
        var acks = new ArrayBufferWriter<byte>();
        // Packets that came with the CONNACK or SUBACK (a persistent session's queue) are decoded before waiting for more.
        var buffered = filled > 0;
        while (true)
        {
            string? closed;
            try
            {
                closed = buffered ? null : await FillAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return null;
            }

            buffered = false;
            if (closed is not null)
            {
                return closed;
            }

            var sequence = new ReadOnlySequence<byte>(buffer, 0, filled);
            while (true)
            {
                var status = MqttPacketDecoder.TryRead(ref sequence, Version, MaximumPacketSize, out var packet, out var error, topicCache);
                if (status == OperationStatus.NeedMoreData)
                {
                    break;
                }

                if (status != OperationStatus.Done)
                {
                    return $"the broker sent bytes that do not decode: {error.Message}";
                }

                if (acknowledge && packet is PublishPacket { QoS: QualityOfService.AtLeastOnce } publish)
                {
                    MqttPacketEncoder.Encode(new PubAckPacket { PacketId = publish.PacketId }, Version, acks);
                }

                onPacket(packet!);
            }

            Compact((int)sequence.Length);
            if (acks.WrittenCount > 0)
            {
                try
                {
                    await SendAsync(acks.WrittenMemory, cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return null;
                }
                catch (SocketException e)
                {
                    return $"sending PUBACK failed: {e.SocketErrorCode}";
                }

                acks.ResetWrittenCount();
            }
        }
    }

    /// <summary>Sends DISCONNECT (best effort) and closes the socket.</summary>
    public async Task DisconnectAsync()
    {
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await SendPacketAsync(new DisconnectPacket(), deadline.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The broker may already have closed it; closing is what matters.
        }

        await DisposeAsync();
    }

    public ValueTask DisposeAsync()
    {
        socket.Dispose();
        sendLock.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<MqttPacket> ReceivePacketAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var sequence = new ReadOnlySequence<byte>(buffer, 0, filled);
            var status = MqttPacketDecoder.TryRead(ref sequence, Version, MaximumPacketSize, out var packet, out var error);
            if (status == OperationStatus.Done)
            {
                // Handshake packets keep no slice of the buffer past this point, so it can be compacted.
                Compact((int)sequence.Length);
                return packet!;
            }

            if (status == OperationStatus.InvalidData)
            {
                throw new IOException($"the broker sent bytes that do not decode: {error.Message}");
            }

            if (await FillAsync(cancellationToken) is { } closed)
            {
                throw new IOException(closed);
            }
        }
    }

    /// <summary>Appends what the socket has to the buffer; returns why the connection ended, or null.</summary>
    private async Task<string?> FillAsync(CancellationToken cancellationToken)
    {
        if (filled == buffer.Length)
        {
            Array.Resize(ref buffer, buffer.Length * 2);
        }

        int count;
        try
        {
            count = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellationToken);
        }
        catch (SocketException e)
        {
            return $"connection lost: {e.SocketErrorCode}";
        }
        catch (ObjectDisposedException)
        {
            return "connection closed";
        }

        if (count == 0)
        {
            return "the broker closed the connection";
        }

        filled += count;
        return null;
    }

    private void Compact(int remaining)
    {
        if (remaining > 0)
        {
            Buffer.BlockCopy(buffer, filled - remaining, buffer, 0, remaining);
        }

        filled = remaining;
    }
}
