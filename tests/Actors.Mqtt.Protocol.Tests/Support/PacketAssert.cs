using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using Actors.Mqtt.Protocol.Codec;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Protocol.Tests.Support;

/// <summary>
/// Structural comparison of packets. Records compare payloads and lists by reference, which says nothing about
/// a decoded copy, so packets are compared through a canonical description of every public property instead.
/// </summary>
public static class PacketAssert
{
    public static void Equal(MqttPacket expected, MqttPacket actual) =>
        Assert.Equal(Describe(expected), Describe(actual));

    /// <summary>Encodes for <paramref name="version"/> and returns the bytes.</summary>
    public static byte[] Encode(MqttPacket packet, MqttProtocolVersion version)
    {
        var writer = new ArrayBufferWriter<byte>();
        MqttPacketEncoder.Encode(packet, version, writer);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes exactly one whole packet from <paramref name="bytes"/>; fails the test on any error or leftover.</summary>
    public static MqttPacket Decode(byte[] bytes, MqttProtocolVersion version)
    {
        var sequence = new ReadOnlySequence<byte>(bytes);
        var status = MqttPacketDecoder.TryRead(ref sequence, version, int.MaxValue, out var packet, out var error);
        Assert.True(status == OperationStatus.Done, $"decode: {status} {error}");
        Assert.Equal(0, sequence.Length);
        return packet!;
    }

    /// <summary>Decodes and returns the error; fails the test if the bytes decode.</summary>
    public static MqttError DecodeError(byte[] bytes, MqttProtocolVersion version, int maximumPacketSize = int.MaxValue)
    {
        var sequence = new ReadOnlySequence<byte>(bytes);
        var status = MqttPacketDecoder.TryRead(ref sequence, version, maximumPacketSize, out var packet, out var error);
        Assert.True(status == OperationStatus.InvalidData, $"expected an error, got {status} {packet}");
        return error;
    }

    public static string Describe(object? value)
    {
        var builder = new StringBuilder();
        Append(builder, value);
        return builder.ToString();
    }

    private static void Append(StringBuilder b, object? value)
    {
        switch (value)
        {
            case null:
                b.Append("null");
                return;
            case string s:
                b.Append('"').Append(s).Append('"');
                return;
            case ReadOnlyMemory<byte> memory:
                b.Append("0x").Append(Convert.ToHexString(memory.Span));
                return;
            case Enum or bool or byte or ushort or uint or int or long:
                b.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
                return;
            case IEnumerable list:
                b.Append('[');
                foreach (var item in list)
                {
                    Append(b, item);
                    b.Append(',');
                }

                b.Append(']');
                return;
        }

        var type = value.GetType();
        b.Append(type.Name).Append('{');
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            if (property.GetIndexParameters().Length > 0 || property.Name == "EqualityContract")
            {
                continue;
            }

            b.Append(property.Name).Append('=');
            Append(b, property.GetValue(value));
            b.Append(';');
        }

        b.Append('}');
    }
}
