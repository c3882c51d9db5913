using System.Buffers;

namespace Actors.Mqtt.Protocol.Codec;

/// <summary>
/// Cuts whole packets out of a byte stream that arrives in arbitrary pieces (the MQTT framing that a length
/// field framer cannot do, because the remaining length is a variable byte integer).
/// </summary>
public static class MqttFrameReader
{
    /// <summary>
    /// Reads one frame from the start of <paramref name="buffer"/>. <see cref="OperationStatus.Done"/>: the frame
    /// is sliced out and <paramref name="buffer"/> moved past it. <see cref="OperationStatus.NeedMoreData"/>: the
    /// buffer is left as it was, nothing copied. <see cref="OperationStatus.InvalidData"/>: <paramref name="error"/>
    /// says why; the connection cannot be read any further.
    /// </summary>
    /// <param name="maximumPacketSize">
    /// Largest packet accepted, fixed header included. It is checked as soon as the remaining length is known,
    /// before the body has arrived, so an oversized packet is refused without being buffered.
    /// </param>
    public static OperationStatus TryRead(ref ReadOnlySequence<byte> buffer, int maximumPacketSize, out MqttFrame frame, out MqttError error)
    {
        frame = default;
        error = default;
        if (buffer.Length < 2)
        {
            return OperationStatus.NeedMoreData;
        }

        Span<byte> head = stackalloc byte[5];
        var headLength = (int)Math.Min(buffer.Length, head.Length);
        if (buffer.FirstSpan.Length >= headLength)
        {
            buffer.FirstSpan[..headLength].CopyTo(head);
        }
        else
        {
            buffer.Slice(0, headLength).CopyTo(head);
        }

        var header = head[0];
        if ((header >> 4) == 0)
        {
            error = new MqttError(ReasonCode.MalformedPacket, "packet type 0 is reserved");
            return OperationStatus.InvalidData;
        }

        var status = VariableByteInteger.TryRead(head[1..headLength], out var remainingLength, out var lengthBytes);
        if (status == OperationStatus.NeedMoreData)
        {
            return OperationStatus.NeedMoreData;
        }

        if (status == OperationStatus.InvalidData)
        {
            error = new MqttError(ReasonCode.MalformedPacket, "remaining length is longer than 4 bytes or not minimal", "MQTT-1.5.5-1");
            return OperationStatus.InvalidData;
        }

        long packetSize = 1 + lengthBytes + remainingLength;
        if (packetSize > maximumPacketSize)
        {
            error = new MqttError(ReasonCode.PacketTooLarge, $"packet of {packetSize} bytes exceeds the maximum of {maximumPacketSize}");
            return OperationStatus.InvalidData;
        }

        if (buffer.Length < packetSize)
        {
            return OperationStatus.NeedMoreData;
        }

        frame = new MqttFrame(header, buffer.Slice(1 + lengthBytes, remainingLength));
        buffer = buffer.Slice(packetSize);
        return OperationStatus.Done;
    }
}
