using System.Diagnostics;
using System.Net;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Bench.Clients;

/// <summary>
/// A subscriber with a persistent session (MQTT 3.1.1, clean session 0) on one publisher's numbered QoS 1 messages,
/// across reconnects: which numbers arrived, how often, and when the first one from a given number on arrived.
/// </summary>
public sealed class FailoverSubscriber(string clientId, string filter, int capacity, IReadOnlyList<IPEndPoint> fallbacks)
    : ReconnectingClient(clientId, fallbacks, cleanSession: false)
{
    private readonly bool[] seen = new bool[capacity];
    private long received;
    private long distinct;
    private long duplicates;
    private long foreign;
    private long watchFrom = long.MaxValue;
    private long firstWatchedTicks;

    /// <summary>Every PUBLISH received, duplicates included.</summary>
    public long Received => Interlocked.Read(ref received);

    public long Distinct => Interlocked.Read(ref distinct);

    public long Duplicates => Interlocked.Read(ref duplicates);

    /// <summary>Messages whose number the publisher never used.</summary>
    public long Foreign => Interlocked.Read(ref foreign);

    /// <summary><see cref="Stopwatch"/> timestamp of the first message numbered <see cref="Watch"/>'s number or above; 0 before it.</summary>
    public long FirstWatchedTicks => Interlocked.Read(ref firstWatchedTicks);

    protected override bool Acknowledges => true;

    /// <summary>From now on, notes when the first message numbered <paramref name="sequence"/> or above arrives.</summary>
    public void Watch(long sequence) => Interlocked.Exchange(ref watchFrom, sequence);

    /// <summary>Whether message <paramref name="sequence"/> arrived.</summary>
    public bool Has(long sequence) => Volatile.Read(ref seen[sequence]);

    protected override Task OnFirstConnectionAsync(RawMqttConnection connection, CancellationToken cancellationToken) =>
        connection.SubscribeAsync(filter, QualityOfService.AtLeastOnce, cancellationToken);

    protected override void OnPacket(MqttPacket packet)
    {
        if (packet is not PublishPacket publish)
        {
            return;
        }

        Interlocked.Increment(ref received);
        if (!Payload.TryRead(publish.Payload.Span, out var payload) || (ulong)payload.Sequence >= (ulong)seen.Length)
        {
            Interlocked.Increment(ref foreign);
            return;
        }

        if (payload.Sequence >= Interlocked.Read(ref watchFrom) && Interlocked.Read(ref firstWatchedTicks) == 0)
        {
            Interlocked.Exchange(ref firstWatchedTicks, Stopwatch.GetTimestamp());
        }

        if (seen[payload.Sequence])
        {
            Interlocked.Increment(ref duplicates);
            return;
        }

        Volatile.Write(ref seen[payload.Sequence], true);
        Interlocked.Increment(ref distinct);
    }
}
