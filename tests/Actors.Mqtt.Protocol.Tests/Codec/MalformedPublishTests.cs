using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Actors.Mqtt.Protocol.Tests.Support;

namespace Actors.Mqtt.Protocol.Tests.Codec;

public class MalformedPublishTests
{
    private const MqttProtocolVersion V500 = MqttProtocolVersion.V500;

    /// <summary>The property block of a 5.0 PUBLISH: an empty one on 5.0, nothing before.</summary>
    private static string NoProperties(MqttProtocolVersion version) => version == V500 ? "00" : string.Empty;

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    [Trait("spec", "MQTT-3.3.1-4")]
    public void MQTT_3_3_1_4_publish_with_QoS_3_is_malformed(MqttProtocolVersion version)
    {
        Wire.Fails(Wire.Packet(0x36, $"00 01 61 00 01 {NoProperties(version)}"), version, ReasonCode.MalformedPacket, "MQTT-3.3.1-4");
        Wire.Fails(Wire.Packet(0x3F, $"00 01 61 00 01 {NoProperties(version)}"), version, ReasonCode.MalformedPacket, "MQTT-3.3.1-4");

        // The same packet with QoS 2 decodes.
        Assert.IsType<PublishPacket>(PacketAssert.Decode(Wire.Packet(0x34, $"00 01 61 00 01 {NoProperties(version)}"), version));
    }

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    [Trait("spec", "MQTT-3.3.1-2")]
    public void MQTT_3_3_1_2_DUP_on_a_QoS_0_publish_is_malformed(MqttProtocolVersion version)
    {
        Wire.Fails(Wire.Packet(0x38, $"00 01 61 {NoProperties(version)}"), version, ReasonCode.MalformedPacket, "MQTT-3.3.1-2");
        Wire.Fails(Wire.Packet(0x39, $"00 01 61 {NoProperties(version)} 78"), version, ReasonCode.MalformedPacket, "MQTT-3.3.1-2");

        // DUP with QoS 1 is a redelivery and decodes.
        var packet = (PublishPacket)PacketAssert.Decode(Wire.Packet(0x3A, $"00 01 61 00 07 {NoProperties(version)}"), version);
        Assert.True(packet.Dup);
    }

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    public void Publish_with_QoS_above_0_and_no_room_for_the_packet_id_is_malformed(MqttProtocolVersion version)
    {
        Wire.Fails(Wire.Bytes("32 03 00 01 61"), version, ReasonCode.MalformedPacket);
        Wire.Fails(Wire.Bytes("32 04 00 01 61 00"), version, ReasonCode.MalformedPacket);
        Wire.Fails(Wire.Bytes("34 03 00 01 61"), version, ReasonCode.MalformedPacket);
    }

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    [Trait("spec", "MQTT-2.2.1-3")]
    public void MQTT_2_2_1_3_publish_QoS_1_or_2_with_packet_id_0_is_a_protocol_error(MqttProtocolVersion version)
    {
        Wire.Fails(Wire.Packet(0x32, $"00 01 61 00 00 {NoProperties(version)}"), version, ReasonCode.ProtocolError, "MQTT-2.2.1-3");
        Wire.Fails(Wire.Packet(0x34, $"00 01 61 00 00 {NoProperties(version)}"), version, ReasonCode.ProtocolError, "MQTT-2.2.1-3");
    }

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    [Trait("spec", "MQTT-3.3.2-2")]
    public void MQTT_3_3_2_2_topic_name_with_a_wildcard_is_invalid(MqttProtocolVersion version)
    {
        foreach (var topic in new[] { "61 2F 2B", "61 2F 23", "2B", "23", "61 2B 62", "2B 2F 61" })
        {
            var length = topic.Split(' ').Length;
            var error = Wire.Fails(
                Wire.Packet(0x30, $"00 {length:X2} {topic} {NoProperties(version)}"),
                version,
                ReasonCode.TopicNameInvalid,
                "MQTT-3.3.2-2");
            Assert.Contains("wildcard", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Empty_topic_without_a_topic_alias_is_a_protocol_error_on_MQTT_5() =>
        Wire.Fails(Wire.Bytes("30 03 00 00 00"), V500, ReasonCode.ProtocolError);

    [Theory]
    [MemberData(nameof(Wire.V3Versions), MemberType = typeof(Wire))]
    [Trait("spec", "MQTT-4.7.3-1")]
    public void MQTT_4_7_3_1_empty_topic_is_an_invalid_topic_name_before_MQTT_5(MqttProtocolVersion version)
    {
        Wire.Fails(Wire.Bytes("30 02 00 00"), version, ReasonCode.TopicNameInvalid, "MQTT-4.7.3-1");
        Wire.Fails(Wire.Bytes("32 04 00 00 00 01"), version, ReasonCode.TopicNameInvalid, "MQTT-4.7.3-1");
    }

    [Fact]
    public void Empty_topic_with_a_topic_alias_decodes_on_MQTT_5()
    {
        var packet = (PublishPacket)PacketAssert.Decode(Wire.Bytes("30 07 00 00 03 23 00 05 78"), V500);
        Assert.Equal(string.Empty, packet.Topic);
        Assert.Equal((ushort)5, packet.Properties!.TopicAlias);
        Assert.Equal(Wire.Bytes("78"), packet.Payload.ToArray());
    }

    [Fact]
    [Trait("spec", "MQTT-3.3.2-8")]
    public void MQTT_3_3_2_8_topic_alias_0_is_invalid()
    {
        Wire.Fails(Wire.Bytes("30 07 00 01 61 03 23 00 00"), V500, ReasonCode.TopicAliasInvalid, "MQTT-3.3.2-8");
        Wire.Fails(Wire.Bytes("30 06 00 00 03 23 00 00"), V500, ReasonCode.TopicAliasInvalid, "MQTT-3.3.2-8");
    }

    [Fact]
    public void Payload_marked_UTF8_that_is_not_UTF8_is_payload_format_invalid()
    {
        // Overlong "/", a surrogate, a lone continuation byte, a truncated sequence.
        foreach (var payload in new[] { "C0 AF", "ED A0 80", "80", "E2 82", "61 FF" })
        {
            Wire.Fails(Wire.Packet(0x30, $"00 01 61 02 01 01 {payload}"), V500, ReasonCode.PayloadFormatInvalid);
        }

        // Marked UTF-8 and well-formed: decodes.
        var packet = (PublishPacket)PacketAssert.Decode(Wire.Packet(0x30, "00 01 61 02 01 01 E2 82 AC"), V500);
        Assert.Equal(PayloadFormat.Utf8, packet.Properties!.PayloadFormatIndicator);

        // Marked as bytes (0) or unmarked: the payload is not looked at.
        PacketAssert.Decode(Wire.Packet(0x30, "00 01 61 02 01 00 C0 AF"), V500);
        PacketAssert.Decode(Wire.Packet(0x30, "00 01 61 00 C0 AF"), V500);
    }

    [Fact]
    public void Payload_format_indicator_other_than_0_or_1_is_a_protocol_error() =>
        Wire.Fails(Wire.Packet(0x30, "00 01 61 02 01 02 78"), V500, ReasonCode.ProtocolError);
}
