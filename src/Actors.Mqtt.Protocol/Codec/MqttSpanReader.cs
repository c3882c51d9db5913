using System.Buffers;
using System.Buffers.Binary;
using System.Text.Unicode;

namespace Actors.Mqtt.Protocol.Codec;

/// <summary>
/// Reads the MQTT data types from one packet body held in contiguous memory. Every method returns false on
/// short or invalid input and leaves the fault in <see cref="Error"/>, so a malformed packet never throws.
/// Binary values and the payload are slices of the body, not copies.
/// </summary>
internal ref struct MqttSpanReader
{
    private readonly ReadOnlyMemory<byte> memory;
    private readonly ReadOnlySpan<byte> span;
    private int position;

    public MqttSpanReader(ReadOnlyMemory<byte> body)
    {
        memory = body;
        span = body.Span;
        position = 0;
    }

    public MqttError Error { get; private set; }

    public readonly int Remaining => span.Length - position;

    public readonly bool End => position == span.Length;

    /// <summary>Records a fault found by the caller; returns false so that call sites can <c>return reader.Fail(...)</c>.</summary>
    public bool Fail(ReasonCode code, string message, string? specId = null)
    {
        Error = new MqttError(code, message, specId);
        return false;
    }

    public bool TryReadByte(out byte value)
    {
        if (position >= span.Length)
        {
            value = 0;
            return Truncated();
        }

        value = span[position++];
        return true;
    }

    public bool TryReadUInt16(out ushort value)
    {
        if (!BinaryPrimitives.TryReadUInt16BigEndian(span[position..], out value))
        {
            return Truncated();
        }

        position += 2;
        return true;
    }

    /// <summary>Reads a packet identifier, which is never 0 where a packet carries one [MQTT-2.2.1-3].</summary>
    public bool TryReadPacketId(PacketType type, out ushort value)
    {
        if (!TryReadUInt16(out value))
        {
            return false;
        }

        return value != 0 || Fail(ReasonCode.ProtocolError, $"{type} has packet identifier 0", "MQTT-2.2.1-3");
    }

    public bool TryReadUInt32(out uint value)
    {
        if (!BinaryPrimitives.TryReadUInt32BigEndian(span[position..], out value))
        {
            return Truncated();
        }

        position += 4;
        return true;
    }

    public bool TryReadVariableByteInteger(out int value)
    {
        switch (VariableByteInteger.TryRead(span[position..], out value, out var consumed))
        {
            case OperationStatus.Done:
                position += consumed;
                return true;
            case OperationStatus.NeedMoreData:
                return Truncated();
            default:
                return Fail(ReasonCode.MalformedPacket, "variable byte integer is longer than 4 bytes or not minimal", "MQTT-1.5.5-1");
        }
    }

    /// <summary>Reads a length-prefixed UTF-8 string: well-formed [MQTT-1.5.4-1], without U+0000 [MQTT-1.5.4-2].</summary>
    public bool TryReadString(out string value, Utf8StringCache? cache = null)
    {
        if (!TryReadUtf8(out var utf8))
        {
            value = string.Empty;
            return false;
        }

        value = cache?.GetOrAdd(utf8) ?? Utf8Rules.Encoding.GetString(utf8);
        return true;
    }

    /// <summary>
    /// Reads a PUBLISH topic name: a string as <see cref="TryReadString"/> that also has no wildcard. The checks run
    /// on the bytes, before any string exists, so the hot path validates each byte once.
    /// </summary>
    public bool TryReadTopicName(out string value, Utf8StringCache? cache)
    {
        if (!TryReadUtf8(out var utf8))
        {
            value = string.Empty;
            return false;
        }

        if (utf8.IndexOfAny((byte)'+', (byte)'#') >= 0)
        {
            value = string.Empty;
            return Fail(ReasonCode.TopicNameInvalid, "topic name contains a wildcard", "MQTT-3.3.2-2");
        }

        value = cache?.GetOrAdd(utf8) ?? Utf8Rules.Encoding.GetString(utf8);
        return true;
    }

    /// <summary>Reads a length-prefixed binary value as a slice of the body.</summary>
    public bool TryReadBinary(out ReadOnlyMemory<byte> value)
    {
        value = default;
        if (!TryReadUInt16(out var length))
        {
            return false;
        }

        if (length > Remaining)
        {
            return Truncated();
        }

        value = memory.Slice(position, length);
        position += length;
        return true;
    }

    /// <summary>Takes the rest of the body as it is, for a PUBLISH payload or a will message.</summary>
    public ReadOnlyMemory<byte> ReadToEnd()
    {
        var rest = memory[position..];
        position = span.Length;
        return rest;
    }

    /// <summary>Narrows the reader to the next <paramref name="length"/> bytes (a property block).</summary>
    public bool TrySlice(int length, out MqttSpanReader inner)
    {
        if (length > Remaining)
        {
            inner = default;
            return Truncated();
        }

        inner = new MqttSpanReader(memory.Slice(position, length));
        position += length;
        return true;
    }

    private bool TryReadUtf8(out ReadOnlySpan<byte> utf8)
    {
        utf8 = default;
        if (!TryReadUInt16(out var length))
        {
            return false;
        }

        if (length > Remaining)
        {
            return Truncated();
        }

        utf8 = span.Slice(position, length);
        if (!Utf8.IsValid(utf8))
        {
            return Fail(ReasonCode.MalformedPacket, "string is not well-formed UTF-8", "MQTT-1.5.4-1");
        }

        if (utf8.Contains((byte)0))
        {
            return Fail(ReasonCode.MalformedPacket, "string contains U+0000", "MQTT-1.5.4-2");
        }

        position += length;
        return true;
    }

    private bool Truncated() =>
        Fail(ReasonCode.MalformedPacket, "packet ends before its declared content");
}
