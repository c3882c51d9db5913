using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Codec;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Integration.Tests.Support;

/// <summary>
/// A bare MQTT client on a TCP socket that speaks through the project's own codec. It sends exactly what a test
/// gives it (packets or raw bytes) and answers nothing by itself, no PUBACK, no PINGREQ, so tests can leave
/// exchanges unfinished, break the protocol, and see every packet the broker sends.
/// </summary>
public sealed class RawClient : IAsyncDisposable
{
    private static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(10);
    private readonly Socket socket;
    private readonly byte[] readBuffer = new byte[64 * 1024];
    private byte[] pending = [];
    private Task<int>? read;
    private bool closed;

    private RawClient(Socket socket, MqttProtocolVersion version)
    {
        this.socket = socket;
        Version = version;
    }

    /// <summary>The version received packets are decoded with; set by every CONNECT sent.</summary>
    public MqttProtocolVersion Version { get; set; }

    /// <summary>True once the broker closed the connection (seen by a read).</summary>
    public bool Closed => closed;

    /// <summary>Opens a socket to the broker on the loopback port.</summary>
    /// <param name="receiveBufferSize">A small kernel receive buffer makes a client that stops reading fill up quickly.</param>
    public static Task<RawClient> OpenAsync(int port, MqttProtocolVersion version = MqttProtocolVersion.V500, int? receiveBufferSize = null) =>
        OpenAsync(new IPEndPoint(IPAddress.Loopback, port), version, receiveBufferSize);

    public static async Task<RawClient> OpenAsync(IPEndPoint endPoint, MqttProtocolVersion version = MqttProtocolVersion.V500, int? receiveBufferSize = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferSize is { } size)
        {
            socket.ReceiveBufferSize = size;
        }

        try
        {
            using var deadline = new CancellationTokenSource(DefaultWait);
            await socket.ConnectAsync(endPoint, deadline.Token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new RawClient(socket, version);
    }

    /// <summary>Opens a socket, sends <paramref name="connect"/> and returns the CONNACK.</summary>
    public static async Task<(RawClient Client, ConnAckPacket ConnAck)> ConnectAsync(IPEndPoint endPoint, ConnectPacket connect)
    {
        ArgumentNullException.ThrowIfNull(connect);
        var client = await OpenAsync(endPoint, connect.ProtocolVersion);
        try
        {
            await client.SendAsync(connect);
            return (client, await client.ReceiveAsync<ConnAckPacket>());
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>Encodes <paramref name="packet"/> for <paramref name="version"/> (default: <see cref="Version"/>) and sends it.</summary>
    public Task SendAsync(MqttPacket packet, MqttProtocolVersion? version = null)
    {
        ArgumentNullException.ThrowIfNull(packet);
        if (packet is ConnectPacket connect)
        {
            Version = connect.ProtocolVersion;
        }

        var writer = new ArrayBufferWriter<byte>();
        MqttPacketEncoder.Encode(packet, version ?? Version, writer);
        return SendBytesAsync(writer.WrittenSpan.ToArray());
    }

    /// <summary>Sends bytes written as hex, spaces allowed: "30 05 00 03 61 2F 62".</summary>
    public Task SendHexAsync(string hex) =>
        SendBytesAsync(Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal)));

    public async Task SendBytesAsync(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        using var deadline = new CancellationTokenSource(DefaultWait);
        await socket.SendAsync(bytes, SocketFlags.None, deadline.Token);
    }

    /// <summary>The next packet from the broker; fails on timeout, on a closed connection and on bytes that do not decode.</summary>
    public async Task<MqttPacket> ReceiveAsync(TimeSpan? timeout = null)
    {
        var wait = timeout ?? DefaultWait;
        using var deadline = new CancellationTokenSource(wait);
        while (true)
        {
            if (TryDecode(out var packet))
            {
                return packet;
            }

            if (closed)
            {
                throw new IOException("the broker closed the connection" + (pending.Length > 0 ? $" with {pending.Length} bytes of an incomplete packet" : string.Empty));
            }

            try
            {
                await ReadMoreAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"no packet within {wait}");
            }
        }
    }

    /// <summary>The next packet, which must be a <typeparamref name="T"/>.</summary>
    public async Task<T> ReceiveAsync<T>(TimeSpan? timeout = null)
        where T : MqttPacket
    {
        var packet = await ReceiveAsync(timeout);
        return packet as T ?? throw new InvalidOperationException($"expected {typeof(T).Name}, received {packet}");
    }

    /// <summary>The payloads of the PUBLISH packets that arrive until none comes for <paramref name="quiet"/>, each
    /// acknowledged with PUBACK; fails on any other packet.</summary>
    public async Task<List<string>> DrainAsync(TimeSpan quiet)
    {
        var received = new List<string>();
        while (true)
        {
            MqttPacket packet;
            try
            {
                packet = await ReceiveAsync(quiet);
            }
            catch (TimeoutException)
            {
                return received;
            }

            var publish = packet as PublishPacket ?? throw new InvalidOperationException($"expected PUBLISH, received {packet}");
            received.Add(Encoding.UTF8.GetString(publish.Payload.Span));
            await SendAsync(new PubAckPacket { PacketId = publish.PacketId });
        }
    }

    /// <summary>Waits <paramref name="wait"/> and fails if a packet arrived or the connection closed meanwhile.</summary>
    public async Task ExpectNothingAsync(TimeSpan wait)
    {
        MqttPacket packet;
        try
        {
            packet = await ReceiveAsync(wait);
        }
        catch (TimeoutException)
        {
            return;
        }

        throw new InvalidOperationException($"expected no packet within {wait}, received {packet}");
    }

    /// <summary>Waits until the broker closes the connection; returns the packets it sent before that, not yet received.</summary>
    public async Task<IReadOnlyList<MqttPacket>> ExpectClosedAsync(TimeSpan? timeout = null)
    {
        var wait = timeout ?? DefaultWait;
        using var deadline = new CancellationTokenSource(wait);
        var packets = new List<MqttPacket>();
        while (true)
        {
            while (TryDecode(out var packet))
            {
                packets.Add(packet);
            }

            if (closed)
            {
                return packets;
            }

            try
            {
                await ReadMoreAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                throw new TimeoutException($"the connection was still open after {wait}; received meanwhile: {string.Join(", ", packets)}");
            }
        }
    }

    /// <summary>Closes the socket without DISCONNECT, as a client that lost its network would.</summary>
    public ValueTask DisposeAsync()
    {
        socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private bool TryDecode(out MqttPacket packet)
    {
        var buffer = new ReadOnlySequence<byte>(pending);
        var status = MqttPacketDecoder.TryRead(ref buffer, Version, int.MaxValue, out var decoded, out var error);
        switch (status)
        {
            case OperationStatus.Done:
                // Decoded packets keep slices of this array, so the rest moves to a new one rather than being shifted.
                pending = buffer.ToArray();
                packet = decoded!;
                return true;
            case OperationStatus.NeedMoreData:
                packet = null!;
                return false;
            default:
                throw new InvalidDataException($"the broker sent bytes that do not decode as MQTT {Version}: {error}");
        }
    }

    /// <summary>Appends what the socket has; one read stays outstanding across calls, so a timeout loses nothing.</summary>
    private async Task ReadMoreAsync(CancellationToken cancellationToken)
    {
        read ??= ReadSocketAsync();
        var count = await read.WaitAsync(cancellationToken);
        read = null;
        if (count == 0)
        {
            closed = true;
            return;
        }

        var grown = new byte[pending.Length + count];
        pending.CopyTo(grown, 0);
        readBuffer.AsSpan(0, count).CopyTo(grown.AsSpan(pending.Length));
        pending = grown;
    }

    private async Task<int> ReadSocketAsync()
    {
        try
        {
            return await socket.ReceiveAsync(readBuffer, SocketFlags.None);
        }
        catch (SocketException)
        {
            // A reset is a close too.
            return 0;
        }
        catch (ObjectDisposedException)
        {
            return 0;
        }
    }
}
