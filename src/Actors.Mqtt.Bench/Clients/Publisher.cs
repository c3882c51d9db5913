using System.Diagnostics;
using System.Net;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Bench.Clients;

/// <summary>
/// One publishing connection. QoS 0 messages go out in batches as fast as the socket takes them; QoS 1 messages
/// keep at most <c>window</c> unacknowledged at a time, as a device with a bounded in-flight window would.
/// </summary>
public sealed class Publisher : IAsyncDisposable
{
    private const int BatchSize = 64;
    private readonly RawMqttConnection connection;
    private readonly PublishTemplate template;
    private readonly int source;
    private readonly SemaphoreSlim? window;
    private readonly byte[] batch;
    private readonly CancellationTokenSource reading = new();
    private Task<string?>? readLoop;
    private long sent;
    private long acknowledged;

    private Publisher(RawMqttConnection connection, PublishTemplate template, int source, int window)
    {
        this.connection = connection;
        this.template = template;
        this.source = source;
        this.window = template.QoS == QualityOfService.AtMostOnce ? null : new SemaphoreSlim(window);
        batch = new byte[template.Size * BatchSize];
    }

    public long Sent => Interlocked.Read(ref sent);

    public long Acknowledged => Interlocked.Read(ref acknowledged);

    /// <summary>Why the broker ended the connection, once it has.</summary>
    public string? CloseReason => readLoop is { IsCompleted: true } done ? done.Result : null;

    /// <param name="window">Most QoS 1 messages unacknowledged at once (ignored for QoS 0).</param>
    public static async Task<Publisher> ConnectAsync(IPEndPoint target, string clientId, PublishTemplate template, int source, int window, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(template);
        var connection = await RawMqttConnection.ConnectAsync(target, clientId, cancellationToken);
        var publisher = new Publisher(connection, template, source, Math.Clamp(window, 1, ushort.MaxValue));
        publisher.readLoop = connection.ReadLoopAsync(publisher.OnPacket, acknowledge: false, publisher.reading.Token);
        return publisher;
    }

    /// <summary>
    /// Publishes <paramref name="count"/> messages numbered from 0; for QoS 1 also waits for their PUBACKs, until none
    /// came for <paramref name="idleLimit"/>.
    /// </summary>
    public async Task PublishAsync(long count, TimeSpan idleLimit, CancellationToken cancellationToken)
    {
        for (var sequence = 0L; sequence < count;)
        {
            var take = (int)Math.Min(BatchSize, count - sequence);
            if (window is not null)
            {
                await window.WaitAsync(cancellationToken);
                var granted = 1;
                while (granted < take && window.Wait(0, CancellationToken.None))
                {
                    granted++;
                }

                take = granted;
            }

            var length = 0;
            for (var i = 0; i < take; i++)
            {
                var number = sequence + i;
                length += template.Write(batch.AsSpan(length), PacketId(number), new Payload(number, Stopwatch.GetTimestamp(), source));
            }

            await connection.SendAsync(batch.AsMemory(0, length), cancellationToken);
            sequence += take;
            Interlocked.Add(ref sent, take);
        }

        if (window is not null)
        {
            await Completion.WaitAsync(() => Acknowledged >= count, () => Acknowledged, idleLimit, cancellationToken);
        }
    }

    /// <summary>Publishes the single message <paramref name="sequence"/>, stamped with <paramref name="sentTicks"/>, the time
    /// latency is measured from.</summary>
    public async ValueTask PublishOneAsync(long sequence, long sentTicks, CancellationToken cancellationToken)
    {
        if (window is not null)
        {
            await window.WaitAsync(cancellationToken);
        }

        var length = template.Write(batch, PacketId(sequence), new Payload(sequence, sentTicks, source));
        await connection.SendAsync(batch.AsMemory(0, length), cancellationToken);
        Interlocked.Increment(ref sent);
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
        window?.Dispose();
    }

    // Ids cycle through 1..65535; the window is never larger, so no two messages in flight share one.
    private static ushort PacketId(long sequence) => (ushort)((sequence % ushort.MaxValue) + 1);

    private void OnPacket(MqttPacket packet)
    {
        if (packet is PubAckPacket)
        {
            Interlocked.Increment(ref acknowledged);
            window?.Release();
        }
    }
}
