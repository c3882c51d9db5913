using System.Diagnostics;
using System.Net;
using Actors.Mqtt.Bench.Measurement;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Bench.Clients;

/// <summary>
/// One device of a fleet: a connection that publishes one QoS 1 message now and then to its own topic and records the
/// time from when each went out to its PUBACK. It holds a small read buffer, since a fleet holds thousands of them.
/// </summary>
public sealed class FleetDevice : IAsyncDisposable
{
    private const int ReadBuffer = 256;
    private readonly RawMqttConnection connection;
    private readonly PublishTemplate template;
    private readonly int source;
    private readonly long[] sentByRound;
    private readonly LatencyRecorder latency;
    private readonly byte[] packet;
    private readonly CancellationTokenSource reading = new();
    private Task<string?>? readLoop;
    private long acknowledged;

    private FleetDevice(RawMqttConnection connection, PublishTemplate template, int source, int rounds, LatencyRecorder latency)
    {
        this.connection = connection;
        this.template = template;
        this.source = source;
        this.latency = latency;
        sentByRound = new long[rounds];
        packet = new byte[template.Size];
    }

    public long Acknowledged => Interlocked.Read(ref acknowledged);

    /// <summary>Why the broker ended the connection, once it has.</summary>
    public string? CloseReason => readLoop is { IsCompleted: true } done ? done.Result : null;

    /// <param name="source">The device's number, written into each payload.</param>
    /// <param name="rounds">How many messages it will publish, numbered from 0.</param>
    public static async Task<FleetDevice> ConnectAsync(IPEndPoint target, string clientId, PublishTemplate template, int source, int rounds, LatencyRecorder latency, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(template);
        var connection = await RawMqttConnection.ConnectAsync(target, clientId, cancellationToken, bufferSize: ReadBuffer);
        var device = new FleetDevice(connection, template, source, rounds, latency);
        device.readLoop = connection.ReadLoopAsync(device.OnPacket, acknowledge: false, device.reading.Token);
        return device;
    }

    /// <summary>Publishes message <paramref name="round"/>, stamped with the time it goes out.</summary>
    public ValueTask PublishAsync(int round, long sentTicks, CancellationToken cancellationToken)
    {
        Volatile.Write(ref sentByRound[round], sentTicks);
        var length = template.Write(packet, PacketId(round), new Payload(round, sentTicks, source));
        return connection.SendAsync(packet.AsMemory(0, length), cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await reading.CancelAsync();
        await connection.DisconnectAsync();
        if (readLoop is not null)
        {
            await readLoop;
        }

        reading.Dispose();
    }

    private static ushort PacketId(int round) => (ushort)(round + 1);

    private void OnPacket(MqttPacket received)
    {
        if (received is PubAckPacket ack && ack.PacketId - 1 is var round && (uint)round < (uint)sentByRound.Length)
        {
            latency.Record(Volatile.Read(ref sentByRound[round]), Stopwatch.GetTimestamp());
            Interlocked.Increment(ref acknowledged);
        }
    }
}
