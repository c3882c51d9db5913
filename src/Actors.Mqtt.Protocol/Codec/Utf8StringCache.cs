using System.Numerics;
using System.Runtime.InteropServices;

namespace Actors.Mqtt.Protocol.Codec;

/// <summary>
/// Turns UTF-8 bytes into strings, handing back the same string for bytes seen recently. A device publishes
/// to a handful of topics over and over, so with one cache per connection a PUBLISH decodes its topic without
/// allocating. Direct-mapped and bounded: a collision replaces the older entry. Not thread-safe: one owner.
/// </summary>
public sealed class Utf8StringCache
{
    private readonly byte[]?[] keys;
    private readonly string?[] values;
    private readonly int mask;
    private readonly int maxByteLength;

    /// <param name="capacity">Entries, rounded up to a power of two.</param>
    /// <param name="maxByteLength">Longer strings are decoded every time rather than cached.</param>
    public Utf8StringCache(int capacity = 64, int maxByteLength = 256)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)capacity);
        keys = new byte[size][];
        values = new string[size];
        mask = size - 1;
        this.maxByteLength = maxByteLength;
    }

    /// <summary>The string for well-formed UTF-8 bytes (the caller has validated them).</summary>
    public string GetOrAdd(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            return string.Empty;
        }

        if (utf8.Length > maxByteLength)
        {
            return Utf8Rules.Encoding.GetString(utf8);
        }

        var slot = (int)Hash(utf8) & mask;
        var key = keys[slot];
        if (key is not null && utf8.SequenceEqual(key))
        {
            return values[slot]!;
        }

        var value = Utf8Rules.Encoding.GetString(utf8);
        keys[slot] = utf8.ToArray();
        values[slot] = value;
        return value;
    }

    /// <summary>
    /// A fast multiplicative hash over 8 bytes at a time. A collision only costs a miss, and topics of one device
    /// differ anywhere (often in the middle), so every byte is mixed in.
    /// </summary>
    private static ulong Hash(ReadOnlySpan<byte> bytes)
    {
        const ulong Multiplier = 0x9E37_79B9_7F4A_7C15;
        var hash = (ulong)bytes.Length * Multiplier;
        var words = MemoryMarshal.Cast<byte, ulong>(bytes);
        foreach (var word in words)
        {
            hash = (hash ^ word) * Multiplier;
        }

        foreach (var b in bytes[(words.Length * 8)..])
        {
            hash = (hash ^ b) * Multiplier;
        }

        return hash ^ (hash >> 29);
    }
}
