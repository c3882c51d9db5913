using System.Text;

namespace Actors.Mqtt.Broker.Persistence;

/// <summary>
/// Reads what <see cref="WireWriter"/> wrote, one field at a time; a field the caller does not ask for is skipped,
/// and one that is absent keeps the caller's default.
/// </summary>
internal ref struct WireReader
{
    private readonly ReadOnlySpan<byte> data;
    private int position;
    private int wireType;

    public WireReader(ReadOnlySpan<byte> data)
    {
        this.data = data;
    }

    /// <summary>The next field's number, or false at the end.</summary>
    public bool Next(out int field)
    {
        if (position >= data.Length)
        {
            field = 0;
            return false;
        }

        var key = Raw();
        field = (int)(key >> 3);
        wireType = (int)(key & 7);
        return true;
    }

    public ulong UInt() => Expect(0) ? Raw() : 0;

    public long Int()
    {
        var raw = UInt();
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    public bool Bool() => UInt() != 0;

    public string String() => Encoding.UTF8.GetString(Bytes());

    public ReadOnlySpan<byte> Bytes()
    {
        if (!Expect(2))
        {
            return [];
        }

        var length = checked((int)Raw());
        if (length > data.Length - position)
        {
            throw new FormatException("a journaled field is longer than the entry");
        }

        var value = data.Slice(position, length);
        position += length;
        return value;
    }

    /// <summary>Skips the value of the current field.</summary>
    public void Skip()
    {
        switch (wireType)
        {
            case 0:
                Raw();
                break;
            case 1:
                position += 8;
                break;
            case 2:
                Bytes();
                break;
            case 5:
                position += 4;
                break;
            default:
                throw new FormatException($"unknown wire type {wireType} in a journaled entry");
        }
    }

    private bool Expect(int type)
    {
        if (wireType == type)
        {
            return true;
        }

        // A field whose type changed is skipped rather than misread; the caller keeps its default.
        Skip();
        return false;
    }

    private ulong Raw()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (position >= data.Length)
            {
                throw new FormatException("a journaled entry ends inside a number");
            }

            var b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new FormatException("a journaled number is longer than 64 bits");
    }
}
