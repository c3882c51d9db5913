using System.Text;

namespace Actors.Mqtt.Protocol;

/// <summary>UTF-8 checks shared by strings on the wire and topic validation.</summary>
public static class Utf8Rules
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>True when the string has no lone surrogate, so it encodes to well-formed UTF-8; gives that length.</summary>
    public static bool IsWellFormed(string value, out int utf8ByteCount)
    {
        ArgumentNullException.ThrowIfNull(value);
        var span = value.AsSpan();
        var count = 0;
        for (var i = 0; i < span.Length; i++)
        {
            var c = span[i];
            if (c < 0x80)
            {
                count += 1;
            }
            else if (c < 0x800)
            {
                count += 2;
            }
            else if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= span.Length || !char.IsLowSurrogate(span[i + 1]))
                {
                    utf8ByteCount = 0;
                    return false;
                }

                count += 4;
                i++;
            }
            else if (char.IsLowSurrogate(c))
            {
                utf8ByteCount = 0;
                return false;
            }
            else
            {
                count += 3;
            }
        }

        utf8ByteCount = count;
        return true;
    }

    /// <summary>The UTF-8 encoding that refuses lone surrogates instead of writing U+FFFD.</summary>
    internal static Encoding Encoding => Strict;
}
