using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Codec;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Integration.Tests.Support;

/// <summary>
/// A bare TCP connection to the broker for tests that send what no client library would: raw bytes out, and the
/// broker's answers decoded with the project's own codec (partial reads are buffered until a packet is whole).
/// It also tells when the broker closed the connection, keeping what arrived before the close.
/// </summary>
public sealed class RawSocket : IAsyncDisposable
{
    private static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(10);
    private readonly Socket socket;
    private readonly List<byte> received = [];
    private byte[] pending = [];

    private RawSocket(Socket socket, MqttProtocolVersion version)
    {
        this.socket = socket;
        Version = version;
    }

    /// <summary>The version the broker's packets are decoded with.</summary>
    public MqttProtocolVersion Version { get; set; }

    /// <summary>True once a read saw the end of the stream (or a reset).</summary>
    public bool Closed { get; private set; }

    /// <summary>Every byte the broker sent so far, in order, decoded or not.</summary>
    public IReadOnlyList<byte> ReceivedBytes => received;

    public static async Task<RawSocket> ConnectAsync(int port, MqttProtocolVersion version = MqttProtocolVersion.V500, int? receiveBufferSize = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferSize is { } size)
        {
            // Set before connecting, so the window the broker sees is the small one.
            socket.ReceiveBufferSize = size;
        }

        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return new RawSocket(socket, version);
    }

    /// <summary>Bytes written as hex, spaces allowed: <c>"C0 00"</c>.</summary>
    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

    public Task SendHexAsync(string hex) => SendAsync(Hex(hex));

    /// <summary>Sends the bytes; a broker that already closed the connection is not an error here (reads show it).</summary>
    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            while (!bytes.IsEmpty)
            {
                var sent = await socket.SendAsync(bytes, SocketFlags.None);
                bytes = bytes[sent..];
            }
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown)
        {
        }
    }

    /// <summary>Encodes a packet with the project's encoder and sends it.</summary>
    public Task SendAsync(MqttPacket packet)
    {
        var writer = new ArrayBufferWriter<byte>();
        MqttPacketEncoder.Encode(packet, Version, writer);
        return SendAsync(writer.WrittenMemory);
    }

    /// <summary>The next packet from the broker; fails on a close or after <paramref name="wait"/>.</summary>
    public async Task<MqttPacket> ReadAsync(TimeSpan? wait = null)
    {
        using var deadline = new CancellationTokenSource(wait ?? DefaultWait);
        while (true)
        {
            if (TryDecode(out var packet))
            {
                return packet;
            }

            if (Closed)
            {
                throw new InvalidOperationException($"the broker closed the connection; {pending.Length} undecoded bytes left");
            }

            await FillAsync(wait ?? DefaultWait, deadline.Token);
        }
    }

    /// <summary>
    /// Every packet the broker sends until it closes the connection; fails if it is still open after
    /// <paramref name="wait"/>.
    /// </summary>
    public async Task<IReadOnlyList<MqttPacket>> ReadUntilClosedAsync(TimeSpan? wait = null)
    {
        using var deadline = new CancellationTokenSource(wait ?? DefaultWait);
        var packets = new List<MqttPacket>();
        while (true)
        {
            while (TryDecode(out var packet))
            {
                packets.Add(packet);
            }

            if (Closed)
            {
                Assert.True(pending.Length == 0, $"the broker closed the connection in the middle of a packet: {Convert.ToHexString(pending)}");
                return packets;
            }

            await FillAsync(wait ?? DefaultWait, deadline.Token);
        }
    }

    private async Task FillAsync(TimeSpan wait, CancellationToken deadline)
    {
        var chunk = new byte[16 * 1024];
        int read;
        try
        {
            read = await socket.ReceiveAsync(chunk, SocketFlags.None, deadline);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"nothing more from the broker within {wait}, and the connection is still open");
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            read = 0;
        }

        if (read == 0)
        {
            Closed = true;
            return;
        }

        received.AddRange(chunk.AsSpan(0, read));
        var joined = new byte[pending.Length + read];
        pending.CopyTo(joined, 0);
        chunk.AsSpan(0, read).CopyTo(joined.AsSpan(pending.Length));
        pending = joined;
    }

    private bool TryDecode(out MqttPacket packet)
    {
        packet = null!;
        var buffer = new ReadOnlySequence<byte>(pending);
        var status = MqttPacketDecoder.TryRead(ref buffer, Version, int.MaxValue, out var decoded, out var error);
        if (status == OperationStatus.NeedMoreData)
        {
            return false;
        }

        Assert.True(status == OperationStatus.Done, $"the broker sent a packet that does not decode as MQTT {Version}: {error}; bytes {Convert.ToHexString(pending)}");

        // The packet may slice the old array; the rest moves to a new one, so the old one is never written again.
        pending = buffer.ToArray();
        packet = decoded!;
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }

        socket.Dispose();
        await Task.CompletedTask;
    }
}
