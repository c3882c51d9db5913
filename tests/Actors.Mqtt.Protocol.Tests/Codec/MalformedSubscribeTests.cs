using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Tests.Support;

namespace Actors.Mqtt.Protocol.Tests.Codec;

public class MalformedSubscribeTests
{
    private const MqttProtocolVersion V311 = MqttProtocolVersion.V311;
    private const MqttProtocolVersion V500 = MqttProtocolVersion.V500;

    private const string SharedX = "00 0A 24 73 68 61 72 65 2F 67 2F 78"; // "$share/g/x"

    private static string NoProperties(MqttProtocolVersion version) => version == V500 ? "00" : string.Empty;

    /// <summary>SUBSCRIBE, packet id 1, with the given filter/options pairs.</summary>
    private static byte[] Subscribe(MqttProtocolVersion version, string pairs) =>
        Wire.Packet(0x82, $"00 01 {NoProperties(version)} {pairs}");

    /// <summary>UNSUBSCRIBE, packet id 1, with the given filters.</summary>
    private static byte[] Unsubscribe(MqttProtocolVersion version, string filters) =>
        Wire.Packet(0xA2, $"00 01 {NoProperties(version)} {filters}");

    public static TheoryData<string, string, MqttProtocolVersion> InvalidFilters()
    {
        var data = new TheoryData<string, string, MqttProtocolVersion>();
        foreach (var version in new[] { MqttProtocolVersion.V310, V311, V500 })
        {
            data.Add("00 05 61 2F 23 2F 62", "MQTT-4.7.1-1", version); // a/#/b
            data.Add("00 02 61 23", "MQTT-4.7.1-1", version); // a#
            data.Add("00 02 61 2B", "MQTT-4.7.1-2", version); // a+
            data.Add("00 03 2B 2B 2F", "MQTT-4.7.1-2", version); // ++/
            data.Add("00 00", "MQTT-4.7.3-1", version); // empty
        }

        data.Add("00 08 24 73 68 61 72 65 2F 67", "MQTT-4.8.2-2", V500); // $share/g
        data.Add("00 09 24 73 68 61 72 65 2F 67 2F", "MQTT-4.8.2-2", V500); // $share/g/
        data.Add("00 09 24 73 68 61 72 65 2F 2F 78", "MQTT-4.8.2-1", V500); // $share//x
        data.Add("00 0A 24 73 68 61 72 65 2F 2B 2F 78", "MQTT-4.8.2-2", V500); // $share/+/x
        data.Add("00 0B 24 73 68 61 72 65 2F 67 2F 23 2F", "MQTT-4.7.1-1", V500); // $share/g/#/
        return data;
    }

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    [Trait("spec", "MQTT-3.8.3-2")]
    public void MQTT_3_8_3_2_subscribe_without_a_topic_filter_is_a_protocol_error(MqttProtocolVersion version)
    {
        var error = Wire.Fails(Subscribe(version, string.Empty), version, ReasonCode.ProtocolError);
        if (version == V500)
        {
            Assert.Equal("MQTT-3.8.3-2", error.SpecId);
        }
    }

    [Fact]
    [Trait("spec", "MQTT-3.8.3-2")]
    public void MQTT_3_8_3_2_subscribe_whose_properties_fill_the_body_has_no_topic_filter() =>
        Wire.Fails(Wire.Bytes("82 05 00 01 02 0B 01"), V500, ReasonCode.ProtocolError, "MQTT-3.8.3-2");

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    [Trait("spec", "MQTT-3.10.3-2")]
    public void MQTT_3_10_3_2_unsubscribe_without_a_topic_filter_is_a_protocol_error(MqttProtocolVersion version) =>
        Wire.Fails(Unsubscribe(version, string.Empty), version, ReasonCode.ProtocolError, "MQTT-3.10.3-2");

    [Theory]
    [MemberData(nameof(Wire.V3Versions), MemberType = typeof(Wire))]
    [Trait("spec", "MQTT-3-8.3-4 (3.1.1)")]
    public void V311_reserved_subscription_option_bits_are_malformed_before_MQTT_5(MqttProtocolVersion version)
    {
        // 3.1.1 numbers this statement "MQTT-3-8.3-4" (sic); the decoder quotes it as written, marked as a 3.1.1 id.
        foreach (var options in new byte[] { 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xFC })
        {
            Wire.Fails(Subscribe(version, $"00 01 61 {options:X2}"), version, ReasonCode.MalformedPacket, "MQTT-3-8.3-4 (3.1.1)");
        }
    }

    [Fact]
    [Trait("spec", "MQTT-3.8.3-5")]
    public void MQTT_3_8_3_5_reserved_subscription_option_bits_6_and_7_are_malformed_on_MQTT_5()
    {
        foreach (var options in new byte[] { 0x40, 0x80, 0xC0, 0x41 })
        {
            Wire.Fails(Subscribe(V500, $"00 01 61 {options:X2}"), V500, ReasonCode.MalformedPacket, "MQTT-3.8.3-5");
        }

        // Bits 2 to 5 are options on 5.0: no local, retain as published, retain handling 2.
        var packet = (SubscribePacket)PacketAssert.Decode(Subscribe(V500, "00 01 61 2E"), V500);
        var subscription = Assert.Single(packet.Subscriptions);
        Assert.True(subscription.NoLocal);
        Assert.True(subscription.RetainAsPublished);
        Assert.Equal(RetainHandling.DoNotSend, subscription.RetainHandling);
        Assert.Equal(QualityOfService.ExactlyOnce, subscription.MaximumQoS);
    }

    [Theory]
    [MemberData(nameof(Wire.V3Versions), MemberType = typeof(Wire))]
    [Trait("spec", "MQTT-3-8.3-4 (3.1.1)")]
    public void V311_subscription_QoS_3_is_malformed_before_MQTT_5(MqttProtocolVersion version) =>
        Wire.Fails(Subscribe(version, "00 01 61 03"), version, ReasonCode.MalformedPacket, "MQTT-3-8.3-4 (3.1.1)");

    [Fact]
    public void Subscription_QoS_3_is_a_protocol_error_on_MQTT_5() =>
        Wire.Fails(Subscribe(V500, "00 01 61 03"), V500, ReasonCode.ProtocolError);

    [Fact]
    public void Retain_handling_3_is_a_protocol_error() =>
        Wire.Fails(Subscribe(V500, "00 01 61 30"), V500, ReasonCode.ProtocolError);

    [Fact]
    [Trait("spec", "MQTT-3.8.3-4")]
    public void MQTT_3_8_3_4_no_local_on_a_shared_subscription_is_a_protocol_error()
    {
        Wire.Fails(Subscribe(V500, $"{SharedX} 04"), V500, ReasonCode.ProtocolError, "MQTT-3.8.3-4");
        Wire.Fails(Subscribe(V500, $"00 01 61 00 {SharedX} 05"), V500, ReasonCode.ProtocolError, "MQTT-3.8.3-4");

        // Without no local, or on an ordinary filter, it decodes.
        PacketAssert.Decode(Subscribe(V500, $"{SharedX} 00"), V500);
        PacketAssert.Decode(Subscribe(V500, "00 01 61 04"), V500);
    }

    [Fact]
    public void Share_prefix_is_an_ordinary_filter_before_MQTT_5()
    {
        // "$share/g" and no local (bit 2) mean nothing special on 3.1.1: the filter is taken as written.
        var packet = (SubscribePacket)PacketAssert.Decode(Subscribe(V311, "00 08 24 73 68 61 72 65 2F 67 00"), V311);
        Assert.Equal("$share/g", Assert.Single(packet.Subscriptions).TopicFilter);
    }

    [Theory]
    [MemberData(nameof(InvalidFilters))]
    public void Invalid_topic_filter_in_subscribe_is_topic_filter_invalid(string filter, string specId, MqttProtocolVersion version)
    {
        Wire.Fails(Subscribe(version, $"{filter} 00"), version, ReasonCode.TopicFilterInvalid, specId);

        // After a valid pair: the whole packet is refused.
        Wire.Fails(Subscribe(version, $"00 01 61 01 {filter} 01"), version, ReasonCode.TopicFilterInvalid, specId);
    }

    [Theory]
    [MemberData(nameof(InvalidFilters))]
    public void Invalid_topic_filter_in_unsubscribe_is_topic_filter_invalid(string filter, string specId, MqttProtocolVersion version)
    {
        Wire.Fails(Unsubscribe(version, filter), version, ReasonCode.TopicFilterInvalid, specId);
        Wire.Fails(Unsubscribe(version, $"00 01 61 {filter}"), version, ReasonCode.TopicFilterInvalid, specId);
    }

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    [Trait("spec", "MQTT-2.2.1-3")]
    public void MQTT_2_2_1_3_subscribe_and_unsubscribe_with_packet_id_0_are_protocol_errors(MqttProtocolVersion version)
    {
        Wire.Fails(Wire.Packet(0x82, $"00 00 {NoProperties(version)} 00 01 61 00"), version, ReasonCode.ProtocolError, "MQTT-2.2.1-3");
        Wire.Fails(Wire.Packet(0xA2, $"00 00 {NoProperties(version)} 00 01 61"), version, ReasonCode.ProtocolError, "MQTT-2.2.1-3");
    }

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    public void Topic_filter_without_its_options_byte_is_malformed(MqttProtocolVersion version)
    {
        Wire.Fails(Subscribe(version, "00 01 61"), version, ReasonCode.MalformedPacket);
        Wire.Fails(Subscribe(version, "00 01 61 00 00 01 62"), version, ReasonCode.MalformedPacket);
    }
}
