using System.Diagnostics;
using Actors.Mqtt.Bench.Clients;

namespace Actors.Mqtt.Bench.Measurement;

/// <summary>
/// Counts what one subscriber receives of a scenario whose publishers, numbered from 0, each number their messages from
/// 0: every message by its publisher and sequence number, so a duplicate or a message nobody sent is told apart from a
/// new one. Safe when one thread counts at a time, and read from any.
/// </summary>
public sealed class PayloadTally(int sources, long perSource, LatencyRecorder? latency = null)
{
    private readonly bool[][] seen = [.. Enumerable.Range(0, sources).Select(_ => new bool[perSource])];
    private long received;
    private long distinct;
    private long duplicates;
    private long foreign;
    private long lastReceived;

    /// <summary>Every message received, duplicates included.</summary>
    public long Received => Interlocked.Read(ref received);

    /// <summary>Distinct messages received.</summary>
    public long Distinct => Interlocked.Read(ref distinct);

    public long Duplicates => Interlocked.Read(ref duplicates);

    /// <summary>Messages whose publisher or sequence number no publisher of this scenario used.</summary>
    public long Foreign => Interlocked.Read(ref foreign);

    /// <summary><see cref="Stopwatch"/> timestamp of the last message received (0 before the first).</summary>
    public long LastReceivedTicks => Interlocked.Read(ref lastReceived);

    /// <summary>Counts one message by its payload (at least its <see cref="Payload.HeaderSize"/> first bytes).</summary>
    public void Count(ReadOnlySpan<byte> payload)
    {
        var now = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref received);
        Interlocked.Exchange(ref lastReceived, now);
        if (!Payload.TryRead(payload, out var head)
            || (uint)head.Source >= (uint)seen.Length
            || (ulong)head.Sequence >= (ulong)seen[head.Source].LongLength)
        {
            Interlocked.Increment(ref foreign);
            return;
        }

        ref var mark = ref seen[head.Source][head.Sequence];
        if (mark)
        {
            Interlocked.Increment(ref duplicates);
            return;
        }

        mark = true;
        Interlocked.Increment(ref distinct);
        latency?.Record(head.SentTicks, now);
    }
}
