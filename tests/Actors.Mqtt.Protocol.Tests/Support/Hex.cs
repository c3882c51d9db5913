namespace Actors.Mqtt.Protocol.Tests.Support;

/// <summary>Hex text for test vectors: written with spaces between bytes, read back ignoring all whitespace.</summary>
public static class Hex
{
    /// <summary>Parses hex such as <c>"10 1A 00 04"</c>; whitespace is ignored.</summary>
    public static byte[] Bytes(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        return Convert.FromHexString(string.Concat(hex.Where(c => !char.IsWhiteSpace(c))));
    }

    /// <summary>Formats bytes as <c>"10 1A 00 04"</c>, so a failed comparison shows where the bytes differ.</summary>
    public static string Format(ReadOnlySpan<byte> bytes)
    {
        var hex = Convert.ToHexString(bytes);
        return string.Join(' ', Enumerable.Range(0, bytes.Length).Select(i => hex.Substring(2 * i, 2)));
    }

    /// <summary>The same hex in the canonical form of <see cref="Format"/>.</summary>
    public static string Normalize(string hex) => Format(Bytes(hex));
}
