using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Tests.Support;

namespace Actors.Mqtt.Protocol.Tests.Codec;

public class MalformedConnectTests
{
    private const MqttProtocolVersion V310 = MqttProtocolVersion.V310;
    private const MqttProtocolVersion V311 = MqttProtocolVersion.V311;
    private const MqttProtocolVersion V500 = MqttProtocolVersion.V500;

    private const string ClientId = "00 01 63";

    /// <summary>Protocol name and level of each version: "MQIsdp" 3, "MQTT" 4, "MQTT" 5.</summary>
    private static string NameAndLevel(MqttProtocolVersion version) => version switch
    {
        V310 => "00 06 4D 51 49 73 64 70 03",
        V311 => "00 04 4D 51 54 54 04",
        _ => "00 04 4D 51 54 54 05",
    };

    /// <summary>An empty property block on 5.0 (CONNECT's own, or the will's), nothing before.</summary>
    private static string NoProperties(MqttProtocolVersion version) => version == V500 ? "00" : string.Empty;

    /// <summary>CONNECT with the given flags byte, keep alive 60, and the payload after the (5.0) properties.</summary>
    private static byte[] Connect(MqttProtocolVersion version, byte flags, string payload) =>
        Wire.Packet(0x10, $"{NameAndLevel(version)} {flags:X2} 00 3C {NoProperties(version)} {payload}");

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    public void Well_formed_connect_decodes(MqttProtocolVersion version)
    {
        var packet = (ConnectPacket)PacketAssert.Decode(Connect(version, 0x02, ClientId), version);
        Assert.Equal(version, packet.ProtocolVersion);
        Assert.Equal("c", packet.ClientId);
    }

    [Theory]
    [InlineData("00 04 4D 51 54 58 04")] // MQTX
    [InlineData("00 04 6D 71 74 74 04")] // mqtt
    [InlineData("00 06 4D 51 49 73 64 71 03")] // MQIsdq
    [InlineData("00 00 04")] // empty name
    [Trait("spec", "MQTT-3.1.2-1")]
    public void MQTT_3_1_2_1_wrong_protocol_name_is_a_protocol_error(string nameAndLevel) =>
        Wire.Fails(Wire.Packet(0x10, $"{nameAndLevel} 02 00 3C {ClientId}"), V311, ReasonCode.ProtocolError, "MQTT-3.1.2-1");

    [Theory]
    [InlineData("00 04 4D 51 54 54 03")] // MQTT level 3
    [InlineData("00 04 4D 51 54 54 06")] // MQTT level 6
    [InlineData("00 04 4D 51 54 54 00")] // MQTT level 0
    [InlineData("00 04 4D 51 54 54 84")] // MQTT level 4 with the bridge bit
    [InlineData("00 06 4D 51 49 73 64 70 04")] // MQIsdp level 4
    [InlineData("00 06 4D 51 49 73 64 70 05")] // MQIsdp level 5
    [Trait("spec", "MQTT-3.1.2-2")]
    public void MQTT_3_1_2_2_unknown_protocol_level_is_unsupported(string nameAndLevel)
    {
        foreach (var version in new[] { V310, V311, V500 })
        {
            Wire.Fails(Wire.Packet(0x10, $"{nameAndLevel} 02 00 3C {ClientId}"), version, ReasonCode.UnsupportedProtocolVersion, "MQTT-3.1.2-2");
        }
    }

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    [Trait("spec", "MQTT-3.1.2-3")]
    public void MQTT_3_1_2_3_reserved_connect_flag_is_malformed(MqttProtocolVersion version)
    {
        Wire.Fails(Connect(version, 0x01, ClientId), version, ReasonCode.MalformedPacket, "MQTT-3.1.2-3");
        Wire.Fails(Connect(version, 0x03, ClientId), version, ReasonCode.MalformedPacket, "MQTT-3.1.2-3");
    }

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    public void MQTT_3_1_2_12_will_QoS_3_is_malformed(MqttProtocolVersion version)
    {
        // Will flag, will QoS 3, clean session; a complete will follows.
        var payload = $"{ClientId} {NoProperties(version)} 00 01 77 00 01 78";
        var error = Wire.Fails(Connect(version, 0x1E, payload), version, ReasonCode.MalformedPacket);
        if (version == V500)
        {
            Assert.Equal("MQTT-3.1.2-12", error.SpecId);
        }

        // Will QoS 2 with the same will decodes.
        Assert.Equal(QualityOfService.ExactlyOnce, ((ConnectPacket)PacketAssert.Decode(Connect(version, 0x16, payload), version)).Will!.QoS);
    }

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    [Trait("spec", "MQTT-3.1.2-11")]
    public void MQTT_3_1_2_11_will_QoS_without_will_flag_is_malformed(MqttProtocolVersion version)
    {
        Wire.Fails(Connect(version, 0x0A, ClientId), version, ReasonCode.MalformedPacket, "MQTT-3.1.2-11");
        Wire.Fails(Connect(version, 0x12, ClientId), version, ReasonCode.MalformedPacket, "MQTT-3.1.2-11");
        Wire.Fails(Connect(version, 0x1A, ClientId), version, ReasonCode.MalformedPacket, "MQTT-3.1.2-11");
    }

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    public void MQTT_3_1_2_13_will_retain_without_will_flag_is_malformed(MqttProtocolVersion version) =>
        Wire.Fails(Connect(version, 0x22, ClientId), version, ReasonCode.MalformedPacket, "MQTT-3.1.2-13");

    [Theory]
    [MemberData(nameof(Wire.V3Versions), MemberType = typeof(Wire))]
    public void MQTT_v311_3_1_2_22_password_without_user_name_is_a_protocol_error_before_MQTT_5(MqttProtocolVersion version) =>
        Wire.Fails(Connect(version, 0x42, $"{ClientId} 00 02 70 77"), version, ReasonCode.ProtocolError, "MQTT-3.1.2-22 (3.1.1)");

    [Fact]
    public void Password_without_user_name_is_accepted_on_MQTT_5()
    {
        var packet = (ConnectPacket)PacketAssert.Decode(Connect(V500, 0x42, $"{ClientId} 00 02 70 77"), V500);
        Assert.Null(packet.UserName);
        Assert.Equal(Wire.Bytes("70 77"), packet.Password!.Value.ToArray());
    }

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    public void Bytes_after_the_payload_are_malformed(MqttProtocolVersion version)
    {
        Wire.Fails(Connect(version, 0x02, $"{ClientId} 00"), version, ReasonCode.MalformedPacket);

        // A user name and password that the flags do not announce.
        Wire.Fails(Connect(version, 0x02, $"{ClientId} 00 01 75 00 01 70"), version, ReasonCode.MalformedPacket);
    }

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    public void Fields_announced_by_the_flags_but_missing_are_malformed(MqttProtocolVersion version)
    {
        // Will flag without will topic and message.
        Wire.Fails(Connect(version, 0x06, ClientId), version, ReasonCode.MalformedPacket);

        // User name flag without user name.
        Wire.Fails(Connect(version, 0x82, ClientId), version, ReasonCode.MalformedPacket);

        // User name and password flags with only the user name.
        Wire.Fails(Connect(version, 0xC2, $"{ClientId} 00 01 75"), version, ReasonCode.MalformedPacket);

        // No client id at all.
        Wire.Fails(Connect(version, 0x02, string.Empty), version, ReasonCode.MalformedPacket);
    }

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    [Trait("spec", "MQTT-3.3.2-2")]
    public void MQTT_3_3_2_2_will_topic_with_a_wildcard_is_an_invalid_topic_name(MqttProtocolVersion version)
    {
        Wire.Fails(Connect(version, 0x06, $"{ClientId} {NoProperties(version)} 00 03 61 2F 23 00 01 78"), version, ReasonCode.TopicNameInvalid, "MQTT-3.3.2-2");
        Wire.Fails(Connect(version, 0x06, $"{ClientId} {NoProperties(version)} 00 03 61 2F 2B 00 01 78"), version, ReasonCode.TopicNameInvalid, "MQTT-3.3.2-2");
    }

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    [Trait("spec", "MQTT-4.7.3-1")]
    public void MQTT_4_7_3_1_empty_will_topic_is_an_invalid_topic_name(MqttProtocolVersion version) =>
        Wire.Fails(Connect(version, 0x06, $"{ClientId} {NoProperties(version)} 00 00 00 01 78"), version, ReasonCode.TopicNameInvalid, "MQTT-4.7.3-1");
}
