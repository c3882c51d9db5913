using System.Buffers;
using System.Buffers.Binary;

namespace Actors.Mqtt.Protocol.Codec;

/// <summary>
/// Writes the MQTT data types into a span already sized for the whole packet (sizes are computed first, so
/// the encoder asks its <see cref="IBufferWriter{T}"/> once per packet).
/// </summary>
internal ref struct MqttSpanWriter
{
    private readonly Span<byte> span;
    private int position;

    public MqttSpanWriter(Span<byte> destination)
    {
        span = destination;
        position = 0;
    }

    public readonly int Written => position;

    public void WriteByte(byte value) => span[position++] = value;

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(span[position..], value);
        position += 2;
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(span[position..], value);
        position += 4;
    }

    public void WriteVariableByteInteger(int value) => position += VariableByteInteger.Write(span[position..], value);

    public void WriteString(string value)
    {
        var length = Utf8Rules.Encoding.GetBytes(value, span[(position + 2)..]);
        BinaryPrimitives.WriteUInt16BigEndian(span[position..], (ushort)length);
        position += 2 + length;
    }

    public void WriteBinary(ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(span[position..], (ushort)value.Length);
        value.CopyTo(span[(position + 2)..]);
        position += 2 + value.Length;
    }

    public void WriteRaw(ReadOnlySpan<byte> value)
    {
        value.CopyTo(span[position..]);
        position += value.Length;
    }
}
