using System.Diagnostics;

namespace Actors.Mqtt.Bench.Measurement;

/// <summary>
/// Counts the messages that arrive for a run whose messages are numbered 0..n-1: each number once (distinct), again
/// (duplicates), or a message that is none of them (foreign), with when the last one arrived. Safe when each number is
/// marked by one thread at a time.
/// </summary>
public sealed class SequenceTally(int count)
{
    private readonly bool[] seen = new bool[count];
    private long received;
    private long distinct;
    private long duplicates;
    private long foreign;
    private long lastReceived;

    public int Count => seen.Length;

    public long Received => Interlocked.Read(ref received);

    public long Distinct => Interlocked.Read(ref distinct);

    public long Duplicates => Interlocked.Read(ref duplicates);

    public long Foreign => Interlocked.Read(ref foreign);

    /// <summary>When the last message arrived (<see cref="Stopwatch"/> ticks).</summary>
    public long LastReceivedTicks => Interlocked.Read(ref lastReceived);

    /// <summary>A message arrived, whatever it is; then say which with <see cref="Mark"/> or <see cref="MarkForeign"/>.</summary>
    public void Arrived()
    {
        Interlocked.Increment(ref received);
        Interlocked.Exchange(ref lastReceived, Stopwatch.GetTimestamp());
    }

    public void MarkForeign() => Interlocked.Increment(ref foreign);

    /// <summary>The message numbered <paramref name="sequence"/> (foreign when out of range).</summary>
    public void Mark(long sequence)
    {
        if ((ulong)sequence >= (ulong)seen.Length)
        {
            MarkForeign();
            return;
        }

        if (seen[sequence])
        {
            Interlocked.Increment(ref duplicates);
            return;
        }

        seen[sequence] = true;
        Interlocked.Increment(ref distinct);
    }
}
