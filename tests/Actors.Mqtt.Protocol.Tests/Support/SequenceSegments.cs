using System.Buffers;

namespace Actors.Mqtt.Protocol.Tests.Support;

/// <summary>Builds multi-segment <see cref="ReadOnlySequence{T}"/>s, as a pipe hands over bytes that arrived in pieces.</summary>
public static class SequenceSegments
{
    /// <summary>
    /// The bytes as a sequence cut at <paramref name="cuts"/> (offsets into <paramref name="bytes"/>, ascending or
    /// not, duplicates and 0 or <c>Length</c> allowed): one segment per piece, each a separate array.
    /// </summary>
    public static ReadOnlySequence<byte> Split(byte[] bytes, params int[] cuts)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(cuts);
        var bounds = cuts.Append(0).Append(bytes.Length).Distinct().Order().ToArray();
        if (bounds[0] < 0 || bounds[^1] > bytes.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(cuts), "a cut lies outside the bytes");
        }

        if (bounds.Length == 2)
        {
            return new ReadOnlySequence<byte>(bytes.ToArray());
        }

        Segment? first = null;
        Segment? last = null;
        for (var i = 0; i + 1 < bounds.Length; i++)
        {
            // A copy per piece, so that nothing can read across a segment boundary by accident.
            var piece = bytes.AsSpan(bounds[i], bounds[i + 1] - bounds[i]).ToArray();
            last = last is null ? first = new Segment(piece, 0) : last.Append(piece);
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
