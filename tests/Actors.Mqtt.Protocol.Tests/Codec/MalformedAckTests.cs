using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Tests.Support;

namespace Actors.Mqtt.Protocol.Tests.Codec;

public class MalformedAckTests
{
    private const MqttProtocolVersion V500 = MqttProtocolVersion.V500;

    [Theory]
    [MemberData(nameof(Wire.V3Versions), MemberType = typeof(Wire))]
    public void Publish_response_longer_than_a_packet_id_is_malformed_before_MQTT_5(MqttProtocolVersion version)
    {
        foreach (var header in new[] { "40", "50", "62", "70" })
        {
            Wire.Fails(Wire.Bytes($"{header} 03 00 01 00"), version, ReasonCode.MalformedPacket);
        }

        // On 5.0 the third byte is the reason code.
        Assert.IsType<PubAckPacket>(PacketAssert.Decode(Wire.Bytes("40 03 00 01 00"), V500));
    }

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    public void Publish_response_shorter_than_a_packet_id_is_malformed(MqttProtocolVersion version)
    {
        Wire.Fails(Wire.Bytes("40 00"), version, ReasonCode.MalformedPacket);
        Wire.Fails(Wire.Bytes("70 01 01"), version, ReasonCode.MalformedPacket);
    }

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    [Trait("spec", "MQTT-2.2.1-3")]
    public void MQTT_2_2_1_3_publish_response_with_packet_id_0_is_a_protocol_error(MqttProtocolVersion version) =>
        Wire.Fails(Wire.Bytes("40 02 00 00"), version, ReasonCode.ProtocolError, "MQTT-2.2.1-3");

    [Trait("spec", "MQTT-3.4.2-1")]
    [Trait("spec", "MQTT-3.5.2-1")]
    [Trait("spec", "MQTT-3.6.2-1")]
    [Trait("spec", "MQTT-3.7.2-1")]
    [Theory]
    [InlineData("40 03 00 01 05")] // PUBACK 0x05
    [InlineData("40 03 00 01 92")] // PUBACK 0x92 belongs to PUBREL/PUBCOMP
    [InlineData("50 03 00 01 01")] // PUBREC 0x01
    [InlineData("62 03 00 01 10")] // PUBREL 0x10 belongs to PUBACK/PUBREC
    [InlineData("70 03 00 01 80")] // PUBCOMP 0x80
    public void Publish_response_with_a_reason_code_it_cannot_carry_is_a_protocol_error(string hex) =>
        Wire.Fails(Wire.Bytes(hex), V500, ReasonCode.ProtocolError);

    [Theory]
    [InlineData("40 03 00 01 10", ReasonCode.NoMatchingSubscribers)]
    [InlineData("62 03 00 01 92", ReasonCode.PacketIdentifierNotFound)]
    [InlineData("40 04 00 01 99 00", ReasonCode.PayloadFormatInvalid)]
    public void Publish_response_with_a_valid_reason_code_decodes(string hex, ReasonCode expected) =>
        Assert.Equal(expected, ((PublishResponsePacket)PacketAssert.Decode(Wire.Bytes(hex), V500)).ReasonCode);

    [Fact]
    public void Publish_response_with_bytes_after_its_properties_is_malformed() =>
        Wire.Fails(Wire.Bytes("40 05 00 01 00 00 00"), V500, ReasonCode.MalformedPacket);

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    public void PINGREQ_and_PINGRESP_with_a_body_are_malformed(MqttProtocolVersion version)
    {
        Wire.Fails(Wire.Bytes("C0 01 00"), version, ReasonCode.MalformedPacket);
        Wire.Fails(Wire.Bytes("D0 02 00 00"), version, ReasonCode.MalformedPacket);
    }

    [Theory]
    [MemberData(nameof(Wire.V3Versions), MemberType = typeof(Wire))]
    public void DISCONNECT_with_a_body_is_malformed_before_MQTT_5(MqttProtocolVersion version)
    {
        Wire.Fails(Wire.Bytes("E0 01 00"), version, ReasonCode.MalformedPacket);
        Wire.Fails(Wire.Bytes("E0 02 00 00"), version, ReasonCode.MalformedPacket);
        Assert.IsType<DisconnectPacket>(PacketAssert.Decode(Wire.Bytes("E0 00"), version));
    }

    [Trait("spec", "MQTT-3.14.2-1")]
    [Theory]
    [InlineData("E0 01 01")]
    [InlineData("E0 01 02")]
    [InlineData("E0 01 91")]
    [InlineData("E0 02 18 00")]
    public void DISCONNECT_with_a_reason_code_it_cannot_carry_is_a_protocol_error(string hex) =>
        Wire.Fails(Wire.Bytes(hex), V500, ReasonCode.ProtocolError);

    [Fact]
    public void DISCONNECT_with_a_valid_reason_code_decodes() =>
        Assert.Equal(
            ReasonCode.DisconnectWithWillMessage,
            ((DisconnectPacket)PacketAssert.Decode(Wire.Bytes("E0 01 04"), V500)).ReasonCode);

    [Fact]
    public void DISCONNECT_with_bytes_after_its_properties_is_malformed() =>
        Wire.Fails(Wire.Bytes("E0 03 00 00 00"), V500, ReasonCode.MalformedPacket);

    [Trait("spec", "MQTT-3.15.2-1")]
    [Theory]
    [InlineData("F0 01 01")]
    [InlineData("F0 01 80")]
    public void AUTH_with_a_reason_code_it_cannot_carry_is_a_protocol_error(string hex) =>
        Wire.Fails(Wire.Bytes(hex), V500, ReasonCode.ProtocolError);

    [Theory]
    [MemberData(nameof(Wire.V3Versions), MemberType = typeof(Wire))]
    public void SUBACK_with_a_return_code_3_1_1_does_not_have_is_malformed(MqttProtocolVersion version)
    {
        Wire.Fails(Wire.Bytes("90 03 00 01 03"), version, ReasonCode.MalformedPacket);
        Wire.Fails(Wire.Bytes("90 03 00 01 87"), version, ReasonCode.MalformedPacket);

        // UNSUBACK has no payload before 5.0.
        Wire.Fails(Wire.Bytes("B0 03 00 01 00"), version, ReasonCode.MalformedPacket);
    }

    [Trait("spec", "MQTT-3.9.3-2")]
    [Fact]
    public void SUBACK_with_a_reason_code_it_cannot_carry_is_a_protocol_error_on_MQTT_5()
    {
        Wire.Fails(Wire.Bytes("90 04 00 01 00 03"), V500, ReasonCode.ProtocolError);
        Wire.Fails(Wire.Bytes("B0 04 00 01 00 02"), V500, ReasonCode.ProtocolError);
    }

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    public void SUBACK_without_a_return_code_is_a_protocol_error(MqttProtocolVersion version) =>
        Wire.Fails(Wire.Packet(0x90, version == V500 ? "00 01 00" : "00 01"), version, ReasonCode.ProtocolError);

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    public void MQTT_3_2_2_1_CONNACK_with_reserved_flag_bits_is_malformed(MqttProtocolVersion version)
    {
        // The spec id is 5.0's; the rule (bits 7-1 are 0) is the same in 3.1.1.
        Wire.Fails(Wire.Packet(0x20, version == V500 ? "02 00 00" : "02 00"), version, ReasonCode.MalformedPacket, "MQTT-3.2.2-1");
    }

    [Fact]
    public void CONNACK_session_present_is_malformed_on_MQTT_3_1() =>
        Wire.Fails(Wire.Bytes("20 02 01 00"), MqttProtocolVersion.V310, ReasonCode.MalformedPacket);

    [Theory]
    [MemberData(nameof(Wire.V3Versions), MemberType = typeof(Wire))]
    public void CONNACK_with_a_reserved_return_code_is_malformed(MqttProtocolVersion version) =>
        Wire.Fails(Wire.Bytes("20 02 00 06"), version, ReasonCode.MalformedPacket);

    [Trait("spec", "MQTT-3.2.2-8")]
    [Fact]
    public void CONNACK_with_a_reason_code_it_cannot_carry_is_a_protocol_error_on_MQTT_5() =>
        Wire.Fails(Wire.Bytes("20 03 00 01 00"), V500, ReasonCode.ProtocolError);
}
