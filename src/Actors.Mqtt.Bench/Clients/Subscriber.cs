using System.Diagnostics;
using System.Net;
using Actors.Mqtt.Bench.Measurement;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Bench.Clients;

/// <summary>
/// One subscribing connection that counts what it receives: every message by its publisher and sequence number, so
/// a duplicate or a message nobody sent is told apart from a new one.
/// </summary>
public sealed class Subscriber : IAsyncDisposable
{
    private readonly RawMqttConnection connection;
    private readonly bool[][] seen;
    private readonly LatencyRecorder? latency;
    private readonly CancellationTokenSource reading = new();
    private Task<string?>? readLoop;
    private long received;
    private long distinct;
    private long duplicates;
    private long foreign;
    private long lastReceived;

    private Subscriber(RawMqttConnection connection, int sources, long perSource, LatencyRecorder? latency)
    {
        this.connection = connection;
        seen = Enumerable.Range(0, sources).Select(_ => new bool[perSource]).ToArray();
        this.latency = latency;
    }

    /// <summary>Every PUBLISH received, duplicates included.</summary>
    public long Received => Interlocked.Read(ref received);

    /// <summary>Distinct messages received.</summary>
    public long Distinct => Interlocked.Read(ref distinct);

    public long Duplicates => Interlocked.Read(ref duplicates);

    /// <summary>Messages whose publisher or sequence number no publisher of this scenario used.</summary>
    public long Foreign => Interlocked.Read(ref foreign);

    /// <summary><see cref="Stopwatch"/> timestamp of the last message received (0 before the first).</summary>
    public long LastReceivedTicks => Interlocked.Read(ref lastReceived);

    /// <summary>Why the connection ended before the scenario closed it, if it did.</summary>
    public string? CloseReason => readLoop is { IsCompleted: true } done ? done.Result : null;

    /// <summary>Connects and subscribes; reading starts with <see cref="StartReading"/>.</summary>
    /// <param name="sources">Publishers of the scenario, numbered from 0.</param>
    /// <param name="perSource">Messages each publisher sends, numbered from 0.</param>
    public static async Task<Subscriber> ConnectAsync(
        IPEndPoint target,
        string clientId,
        string filter,
        QualityOfService qos,
        int sources,
        long perSource,
        CancellationToken cancellationToken,
        LatencyRecorder? latency = null,
        int? receiveBufferSize = null)
    {
        var connection = await RawMqttConnection.ConnectAsync(target, clientId, cancellationToken, receiveBufferSize: receiveBufferSize);
        try
        {
            await connection.SubscribeAsync(filter, qos, cancellationToken);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        return new Subscriber(connection, sources, perSource, latency);
    }

    public void StartReading() => readLoop ??= connection.ReadLoopAsync(OnPacket, acknowledge: true, reading.Token);

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

    private void OnPacket(MqttPacket packet)
    {
        if (packet is not PublishPacket publish)
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref received);
        Interlocked.Exchange(ref lastReceived, now);
        if (!Payload.TryRead(publish.Payload.Span, out var payload)
            || (uint)payload.Source >= (uint)seen.Length
            || (ulong)payload.Sequence >= (ulong)seen[payload.Source].LongLength)
        {
            Interlocked.Increment(ref foreign);
            return;
        }

        ref var mark = ref seen[payload.Source][payload.Sequence];
        if (mark)
        {
            Interlocked.Increment(ref duplicates);
            return;
        }

        mark = true;
        Interlocked.Increment(ref distinct);
        latency?.Record(payload.DueTicks, now);
    }
}
