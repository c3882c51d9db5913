namespace Actors.Mqtt.Protocol.Codec;

/// <summary>Encoded sizes of the MQTT data types, so a packet's length is known before it is written.</summary>
internal static class MqttSizes
{
    /// <summary>Two length bytes and the UTF-8 bytes; throws for a value the wire cannot carry (a caller's bug).</summary>
    public static int String(string value)
    {
        if (!Utf8Rules.IsWellFormed(value, out var count))
        {
            throw new ArgumentException("string has a lone surrogate and cannot be encoded as UTF-8", nameof(value));
        }

        if (count > ushort.MaxValue)
        {
            throw new ArgumentException("string is longer than 65535 UTF-8 bytes", nameof(value));
        }

        return 2 + count;
    }

    public static int Binary(ReadOnlyMemory<byte> value)
    {
        if (value.Length > ushort.MaxValue)
        {
            throw new ArgumentException("binary data is longer than 65535 bytes", nameof(value));
        }

        return 2 + value.Length;
    }
}
