using System.Buffers.Binary;

namespace Actors.Mqtt.Bench.Clients;

/// <summary>
/// The head of every benchmark payload: a sequence number, the time the message went out
/// (<see cref="System.Diagnostics.Stopwatch"/> ticks, which latency is measured from) and the index of its publisher;
/// the rest is filler.
/// </summary>
public readonly record struct Payload(long Sequence, long SentTicks, int Source)
{
    public const int HeaderSize = 20;

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteInt64LittleEndian(destination, Sequence);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], SentTicks);
        BinaryPrimitives.WriteInt32LittleEndian(destination[16..], Source);
    }

    /// <summary>Reads the head; false for a payload too short to be one of ours.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out Payload payload)
    {
        if (source.Length < HeaderSize)
        {
            payload = default;
            return false;
        }

        payload = new Payload(
            BinaryPrimitives.ReadInt64LittleEndian(source),
            BinaryPrimitives.ReadInt64LittleEndian(source[8..]),
            BinaryPrimitives.ReadInt32LittleEndian(source[16..]));
        return true;
    }
}
