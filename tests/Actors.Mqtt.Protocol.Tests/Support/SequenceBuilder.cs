using System.Buffers;

namespace Actors.Mqtt.Protocol.Tests.Support;

/// <summary>Builds a <see cref="ReadOnlySequence{T}"/> of several segments, as a pipe hands over bytes that arrived in pieces.</summary>
public static class SequenceBuilder
{
    /// <summary>One segment per chunk, in order; empty chunks become empty segments.</summary>
    public static ReadOnlySequence<byte> Build(params byte[][] chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        if (chunks.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(chunks[0], 0);
        var last = first;
        for (var i = 1; i < chunks.Length; i++)
        {
            last = last.Append(chunks[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>
    /// Cuts <paramref name="bytes"/> at the given positions (in any order; a repeated cut, or one at 0 or at the end,
    /// gives an empty segment, which a reader must also cope with) into one segment per piece, each a separate array
    /// so that nothing can read across a boundary by accident.
    /// </summary>
    public static ReadOnlySequence<byte> Split(byte[] bytes, params int[] cuts)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(cuts);
        var chunks = new List<byte[]>();
        var start = 0;
        foreach (var cut in cuts.Order())
        {
            ArgumentOutOfRangeException.ThrowIfNegative(cut, nameof(cuts));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(cut, bytes.Length, nameof(cuts));
            chunks.Add(bytes[start..cut]);
            start = cut;
        }

        chunks.Add(bytes[start..]);
        return Build([.. chunks]);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] chunk, long runningIndex)
        {
            Memory = chunk;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] chunk)
        {
            var next = new Segment(chunk, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
