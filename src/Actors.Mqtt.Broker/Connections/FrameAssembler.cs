using System.Buffers;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Codec;

namespace Actors.Mqtt.Broker.Connections;

/// <summary>
/// Cuts the byte chunks of one connection into whole MQTT packets: one <see cref="FrameBatch"/> per chunk that
/// completes at least one packet. Bytes of a packet that is not complete yet wait as a list of chunks and are joined
/// once, when the packet is whole. A packet over the maximum size is refused from its header, before its body is
/// buffered. Plain C#, owned by one connection's stage.
/// </summary>
internal sealed class FrameAssembler(int maximumPacketSize)
{
    // Made at the first chunk that leaves part of a packet behind: most connections never need it.
    private List<ReadOnlyMemory<byte>>? pending;
    private long pendingLength;

    /// <summary>
    /// Takes the next chunk. Returns the packets it completes, or null when it completes none; a batch with an error
    /// is the last one, since the stream cannot be read past a malformed header.
    /// </summary>
    public FrameBatch? Add(ReadOnlyMemory<byte> chunk)
    {
        if (chunk.IsEmpty)
        {
            return null;
        }

        ReadOnlySequence<byte> buffer;
        pendingLength += chunk.Length;
        if (pending is not { Count: > 0 })
        {
            // The common case: nothing waits, and the chunk is read where it is.
            buffer = new ReadOnlySequence<byte>(chunk);
        }
        else
        {
            pending.Add(chunk);

            // Until the header says how long the packet is, or while it is still short, waiting costs no copy.
            if (!EnoughForOnePacket())
            {
                return null;
            }

            buffer = Join();
        }

        List<MqttFrame>? frames = null;
        MqttError? error = null;
        while (true)
        {
            var status = MqttFrameReader.TryRead(ref buffer, maximumPacketSize, out var frame, out var frameError);
            if (status == OperationStatus.Done)
            {
                (frames ??= []).Add(frame);
                continue;
            }

            if (status == OperationStatus.InvalidData)
            {
                error = frameError;
            }

            break;
        }

        Keep(buffer);
        return frames is null && error is null ? null : new FrameBatch((IReadOnlyList<MqttFrame>?)frames ?? [], error);
    }

    /// <summary>One contiguous view of what is pending (at least two chunks).</summary>
    private ReadOnlySequence<byte> Join()
    {
        var joined = new byte[pendingLength];
        var offset = 0;
        foreach (var part in pending!)
        {
            part.Span.CopyTo(joined.AsSpan(offset));
            offset += part.Length;
        }

        pending.Clear();
        pending.Add(joined);
        return new ReadOnlySequence<byte>(joined);
    }

    private bool EnoughForOnePacket()
    {
        Span<byte> head = stackalloc byte[5];
        var have = 0;
        foreach (var part in pending!)
        {
            var take = Math.Min(part.Length, head.Length - have);
            part.Span[..take].CopyTo(head[have..]);
            have += take;
            if (have == head.Length)
            {
                break;
            }
        }

        if (have < 2)
        {
            return false;
        }

        var status = VariableByteInteger.TryRead(head[1..have], out var remaining, out var lengthBytes);
        return status != OperationStatus.NeedMoreData
            && (status == OperationStatus.InvalidData || 1 + lengthBytes + remaining > maximumPacketSize || pendingLength >= 1 + lengthBytes + remaining);
    }

    /// <summary>Keeps what was not consumed for the next chunk.</summary>
    private void Keep(ReadOnlySequence<byte> rest)
    {
        if (pending is { Count: > 0 } && rest.Length == pendingLength)
        {
            return;
        }

        pending?.Clear();
        pendingLength = rest.Length;
        if (!rest.IsEmpty)
        {
            (pending ??= []).Add(rest.First);
        }
    }
}
