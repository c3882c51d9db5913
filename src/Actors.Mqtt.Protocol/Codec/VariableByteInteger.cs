using System.Buffers;

namespace Actors.Mqtt.Protocol.Codec;

/// <summary>The 1 to 4 byte integer MQTT uses for the remaining length, property lengths and subscription ids.</summary>
public static class VariableByteInteger
{
    /// <summary>268 435 455, the largest value four bytes can hold.</summary>
    public const int MaxValue = 0x0FFF_FFFF;

    public static int GetSize(int value) => value switch
    {
        < 0 => throw new ArgumentOutOfRangeException(nameof(value)),
        < 0x80 => 1,
        < 0x4000 => 2,
        < 0x20_0000 => 3,
        <= MaxValue => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(value)),
    };

    public static int Write(Span<byte> destination, int value)
    {
        var i = 0;
        do
        {
            var digit = (byte)(value & 0x7F);
            value >>= 7;
            if (value > 0)
            {
                digit |= 0x80;
            }

            destination[i++] = digit;
        }
        while (value > 0);
        return i;
    }

    /// <summary>
    /// Reads one value. Returns <see cref="OperationStatus.NeedMoreData"/> while the bytes end inside it, and
    /// <see cref="OperationStatus.InvalidData"/> for a fifth byte or a value not in its shortest form.
    /// </summary>
    public static OperationStatus TryRead(ReadOnlySpan<byte> source, out int value, out int bytesConsumed)
    {
        value = 0;
        var shift = 0;
        for (var i = 0; i < 4; i++)
        {
            if (i >= source.Length)
            {
                bytesConsumed = 0;
                return OperationStatus.NeedMoreData;
            }

            var b = source[i];
            value |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                bytesConsumed = i + 1;

                // A trailing zero digit (0x80 0x00) encodes the same value in more bytes than necessary [MQTT-1.5.5-1].
                return b == 0 && i > 0 ? OperationStatus.InvalidData : OperationStatus.Done;
            }

            shift += 7;
        }

        bytesConsumed = 4;
        return OperationStatus.InvalidData;
    }
}
