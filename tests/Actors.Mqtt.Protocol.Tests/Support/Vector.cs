using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Protocol.Tests.Support;

/// <summary>Checks a packet against hand-written wire bytes, in one or both directions.</summary>
public static class Vector
{
    /// <summary>The packet encodes to exactly <paramref name="hex"/>, and <paramref name="hex"/> decodes to the packet.</summary>
    public static void RoundTrip(MqttPacket packet, MqttProtocolVersion version, string hex)
    {
        EncodesTo(packet, version, hex);
        DecodesTo(hex, version, packet);
    }

    /// <summary>The packet encodes to exactly <paramref name="hex"/>.</summary>
    public static void EncodesTo(MqttPacket packet, MqttProtocolVersion version, string hex) =>
        Assert.Equal(Hex.Normalize(hex), Hex.Format(PacketAssert.Encode(packet, version)));

    /// <summary><paramref name="hex"/> decodes, as one whole packet, to a packet structurally equal to <paramref name="expected"/>.</summary>
    public static MqttPacket DecodesTo(string hex, MqttProtocolVersion version, MqttPacket expected)
    {
        var actual = PacketAssert.Decode(Hex.Bytes(hex), version);
        PacketAssert.Equal(expected, actual);
        return actual;
    }
}
