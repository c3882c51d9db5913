using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Actors.Mqtt.Protocol.Tests.Support;

namespace Actors.Mqtt.Protocol.Tests.Codec;

/// <summary>MQTT 5.0 property blocks (section 2.2.2): which properties a packet may carry, how often, with which values.</summary>
public class PropertyRuleTests
{
    private const MqttProtocolVersion V500 = MqttProtocolVersion.V500;

    /// <summary>A property block: its one-byte length, then the properties.</summary>
    private static string Block(string properties)
    {
        var length = Wire.Bytes(properties).Length;
        Assert.True(length < 0x80);
        return $"{length:X2} {properties}";
    }

    /// <summary>QoS 0 PUBLISH to "a" with payload "x".</summary>
    private static byte[] Publish(string properties) => Wire.Packet(0x30, $"00 01 61 {Block(properties)} 78");

    /// <summary>5.0 CONNECT, client id "c", with CONNECT's own properties.</summary>
    private static byte[] Connect(string properties) =>
        Wire.Packet(0x10, $"00 04 4D 51 54 54 05 02 00 3C {Block(properties)} 00 01 63");

    /// <summary>5.0 CONNECT with a will to "w", with the will's properties.</summary>
    private static byte[] ConnectWithWill(string willProperties) =>
        Wire.Packet(0x10, $"00 04 4D 51 54 54 05 06 00 3C 00 00 01 63 {Block(willProperties)} 00 01 77 00 01 78");

    private static byte[] Subscribe(string properties) => Wire.Packet(0x82, $"00 01 {Block(properties)} 00 01 61 00");

    private static byte[] PubAck(string properties) => Wire.Packet(0x40, $"00 01 00 {Block(properties)}");

    private static MqttProperties? PublishProperties(string properties) =>
        ((PublishPacket)PacketAssert.Decode(Publish(properties), V500)).Properties;

    [Fact]
    public void Property_not_allowed_in_the_packet_is_malformed()
    {
        // Session Expiry Interval in PUBLISH.
        Wire.Fails(Publish("11 00 00 00 3C"), V500, ReasonCode.MalformedPacket);

        // Topic Alias in CONNECT.
        Wire.Fails(Connect("23 00 01"), V500, ReasonCode.MalformedPacket);

        // Will Delay Interval in CONNECT's own properties, though it is fine in the will's.
        Wire.Fails(Connect("18 00 00 00 0A"), V500, ReasonCode.MalformedPacket);
        var will = ((ConnectPacket)PacketAssert.Decode(ConnectWithWill("18 00 00 00 0A"), V500)).Will!;
        Assert.Equal(10u, will.Properties!.WillDelayInterval);

        // Session Expiry Interval in the will; Reason String in PUBLISH; Topic Alias in PUBACK;
        // Subscription Identifier in UNSUBSCRIBE; Maximum QoS (a CONNACK property) in CONNECT.
        Wire.Fails(ConnectWithWill("11 00 00 00 0A"), V500, ReasonCode.MalformedPacket);
        Wire.Fails(Publish("1F 00 01 72"), V500, ReasonCode.MalformedPacket);
        Wire.Fails(PubAck("23 00 01"), V500, ReasonCode.MalformedPacket);
        Wire.Fails(Wire.Packet(0xA2, $"00 01 {Block("0B 01")} 00 01 61"), V500, ReasonCode.MalformedPacket);
        Wire.Fails(Connect("24 01"), V500, ReasonCode.MalformedPacket);
    }

    [Theory]
    [InlineData("05 00")]
    [InlineData("7F 00")]
    [InlineData("00 00")]
    [InlineData("04 00 00 00 01")]
    [InlineData("2B 00")]
    [InlineData("80 01 00")] // identifier 128, two bytes
    public void Unknown_property_identifier_is_malformed(string properties)
    {
        Wire.Fails(Publish(properties), V500, ReasonCode.MalformedPacket);
        Wire.Fails(Connect(properties), V500, ReasonCode.MalformedPacket);
    }

    [Fact]
    [Trait("spec", "MQTT-1.5.5-1")]
    public void MQTT_1_5_5_1_property_identifier_or_length_not_in_shortest_form_is_malformed()
    {
        // Message Expiry Interval (0x02) written as 82 00.
        Wire.Fails(Publish("82 00 00 00 00 01"), V500, ReasonCode.MalformedPacket, "MQTT-1.5.5-1");

        // Property length 0 written as 80 00.
        Wire.Fails(Wire.Packet(0x30, "00 01 61 80 00 78"), V500, ReasonCode.MalformedPacket, "MQTT-1.5.5-1");
    }

    [Fact]
    public void Property_that_may_appear_once_appearing_twice_is_a_protocol_error()
    {
        Wire.Fails(Publish("02 00 00 00 01 02 00 00 00 02"), V500, ReasonCode.ProtocolError);
        Wire.Fails(Publish("02 00 00 00 01 26 00 01 6B 00 01 76 02 00 00 00 01"), V500, ReasonCode.ProtocolError);
        Wire.Fails(Publish("01 00 01 00"), V500, ReasonCode.ProtocolError);
        Wire.Fails(Connect("21 00 0A 21 00 0A"), V500, ReasonCode.ProtocolError);
    }

    [Fact]
    public void User_properties_may_repeat_and_keep_their_order()
    {
        // ("b", "1"), ("a", "2"), ("b", "3"): same name twice, not sorted.
        var properties = PublishProperties("26 00 01 62 00 01 31 26 00 01 61 00 01 32 26 00 01 62 00 01 33");
        Assert.Equal(
            new[] { new MqttUserProperty("b", "1"), new MqttUserProperty("a", "2"), new MqttUserProperty("b", "3") },
            properties!.UserProperties);
    }

    [Fact]
    public void Subscription_identifiers_may_repeat_in_PUBLISH_only()
    {
        Assert.Equal<int>([2, 1, 300], PublishProperties("0B 02 0B 01 0B AC 02")!.SubscriptionIdentifiers);
        Wire.Fails(Subscribe("0B 01 0B 02"), V500, ReasonCode.ProtocolError);

        // One is fine in SUBSCRIBE.
        var subscribe = (SubscribePacket)PacketAssert.Decode(Subscribe("0B 01"), V500);
        Assert.Equal<int>([1], subscribe.Properties!.SubscriptionIdentifiers);
    }

    [Fact]
    public void Subscription_identifier_0_is_a_protocol_error()
    {
        Wire.Fails(Publish("0B 00"), V500, ReasonCode.ProtocolError);
        Wire.Fails(Subscribe("0B 00"), V500, ReasonCode.ProtocolError);
    }

    [Fact]
    public void Receive_maximum_0_is_a_protocol_error()
    {
        Wire.Fails(Connect("21 00 00"), V500, ReasonCode.ProtocolError);
        Assert.Equal((ushort)1, ((ConnectPacket)PacketAssert.Decode(Connect("21 00 01"), V500)).Properties!.ReceiveMaximum);
    }

    [Fact]
    public void Maximum_packet_size_0_is_a_protocol_error()
    {
        Wire.Fails(Connect("27 00 00 00 00"), V500, ReasonCode.ProtocolError);
        Assert.Equal(1u, ((ConnectPacket)PacketAssert.Decode(Connect("27 00 00 00 01"), V500)).Properties!.MaximumPacketSize);
    }

    [Theory]
    [InlineData("17 02")] // Request Problem Information
    [InlineData("17 FF")]
    [InlineData("19 02")] // Request Response Information
    public void Flag_property_other_than_0_or_1_is_a_protocol_error(string properties)
    {
        Wire.Fails(Connect(properties), V500, ReasonCode.ProtocolError);
        PacketAssert.Decode(Connect(properties[..3] + "01"), V500);
    }

    [Fact]
    public void Property_length_longer_than_the_packet_is_malformed()
    {
        // Length 5, one byte left in the packet.
        Wire.Fails(Wire.Packet(0x30, "00 01 61 05 01"), V500, ReasonCode.MalformedPacket);

        // Length 2 in a packet that has the bytes, but a property inside that needs 5: the value must not be
        // read from past the block.
        Wire.Fails(Wire.Packet(0x30, "00 01 61 02 02 00 00 00 01"), V500, ReasonCode.MalformedPacket);

        // A user property whose value string runs past the block into the payload.
        Wire.Fails(Wire.Packet(0x30, "00 01 61 07 26 00 01 6B 00 03 76 77 78"), V500, ReasonCode.MalformedPacket);

        // The same in CONNECT and PUBACK.
        Wire.Fails(Wire.Packet(0x10, "00 04 4D 51 54 54 05 02 00 3C 09 00 01 63"), V500, ReasonCode.MalformedPacket);
        Wire.Fails(Wire.Packet(0x40, "00 01 00 03 1F 00"), V500, ReasonCode.MalformedPacket);
    }

    [Fact]
    [Trait("spec", "MQTT-3.3.2-14")]
    public void MQTT_3_3_2_14_response_topic_with_a_wildcard_is_an_invalid_topic_name()
    {
        Wire.Fails(Publish("08 00 03 61 2F 23"), V500, ReasonCode.TopicNameInvalid, "MQTT-3.3.2-14");
        Assert.Equal("a/b", PublishProperties("08 00 03 61 2F 62")!.ResponseTopic);
    }

    [Fact]
    public void Authentication_data_without_authentication_method_is_a_protocol_error()
    {
        // 3.1.2.11.10: it is a Protocol Error to include Authentication Data without an Authentication Method.
        Wire.Fails(Connect("16 00 01 09"), V500, ReasonCode.ProtocolError);
        var withMethod = (ConnectPacket)PacketAssert.Decode(Connect("15 00 01 6D 16 00 01 09"), V500);
        Assert.Equal("m", withMethod.Properties!.AuthenticationMethod);
    }
}
