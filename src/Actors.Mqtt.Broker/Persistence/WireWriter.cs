using System.Buffers;
using System.Text;

namespace Actors.Mqtt.Broker.Persistence;

/// <summary>
/// Writes fields in the Protocol Buffers wire format: a key (field number and wire type) before each value, so a
/// reader skips fields it does not know and misses fields an older writer did not write. That is what keeps old
/// journal entries readable as records gain fields. Field numbers, once used, keep their meaning forever.
/// </summary>
internal sealed class WireWriter
{
    private const int VarInt = 0;
    private const int LengthDelimited = 2;

    private readonly ArrayBufferWriter<byte> buffer = new(128);

    public byte[] ToArray() => buffer.WrittenSpan.ToArray();

    public void UInt(int field, ulong value)
    {
        if (value != 0)
        {
            Key(field, VarInt);
            Raw(value);
        }
    }

    /// <summary>A number written even when it is 0, for repeated fields where every entry counts.</summary>
    public void Field(int field, ulong value)
    {
        Key(field, VarInt);
        Raw(value);
    }

    public void Int(int field, long value) => UInt(field, (ulong)((value << 1) ^ (value >> 63)));

    public void Bool(int field, bool value) => UInt(field, value ? 1u : 0u);

    public void String(int field, string? value)
    {
        if (value is null)
        {
            return;
        }

        Key(field, LengthDelimited);
        var length = Encoding.UTF8.GetByteCount(value);
        Raw((ulong)length);
        var span = buffer.GetSpan(length);
        Encoding.UTF8.GetBytes(value, span);
        buffer.Advance(length);
    }

    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Key(field, LengthDelimited);
        Raw((ulong)value.Length);
        buffer.Write(value);
    }

    /// <summary>A nested record, written by <paramref name="write"/>, as one length-delimited field.</summary>
    public void Message(int field, Action<WireWriter> write)
    {
        var nested = new WireWriter();
        write(nested);
        Bytes(field, nested.buffer.WrittenSpan);
    }

    private void Key(int field, int wireType) => Raw((ulong)((field << 3) | wireType));

    private void Raw(ulong value)
    {
        var span = buffer.GetSpan(10);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[i++] = (byte)value;
        buffer.Advance(i);
    }
}
