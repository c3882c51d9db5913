using Actors.Mqtt.Protocol.Codec;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Actors.Mqtt.Protocol.Tests.Support;

namespace Actors.Mqtt.Protocol.Tests.Codec;

/// <summary>PUBLISH byte for byte: the fixed header flags, topic, packet id, 5.0 properties, and payload.</summary>
public class PublishVectorTests
{
    public static TheoryData<MqttProtocolVersion> V3Versions => [MqttProtocolVersion.V310, MqttProtocolVersion.V311];

    [Theory]
    [MemberData(nameof(V3Versions))]
    public void Publish_v3_QoS0_round_trips(MqttProtocolVersion version)
    {
        var packet = new PublishPacket { Topic = "a/b", Payload = "hi"u8.ToArray() };
        Vector.RoundTrip(packet, version,
            "30 07" /* fixed header: PUBLISH, DUP 0, QoS 0, RETAIN 0, remaining length 7 */
            + "00 03 61 2F 62" /* topic "a/b", no packet id at QoS 0 */
            + "68 69" /* payload "hi" */);
    }

    [Theory]
    [MemberData(nameof(V3Versions))]
    public void Publish_v3_spec_example_QoS1_round_trips(MqttProtocolVersion version)
    {
        // 3.1.1 figure 3.11: topic "a/b", packet identifier 10.
        var packet = new PublishPacket { Topic = "a/b", QoS = QualityOfService.AtLeastOnce, PacketId = 10, Payload = "hi"u8.ToArray() };
        Vector.RoundTrip(packet, version,
            "32 09" /* fixed header: PUBLISH, QoS 1, remaining length 9 */
            + "00 03 61 2F 62" /* topic "a/b" */
            + "00 0A" /* packet identifier 10 */
            + "68 69" /* payload "hi" */);
    }

    [Theory]
    [MemberData(nameof(V3Versions))]
    public void Publish_v3_QoS2_dup_retain_round_trips(MqttProtocolVersion version)
    {
        var packet = new PublishPacket { Topic = "a/b", QoS = QualityOfService.ExactlyOnce, Dup = true, Retain = true, PacketId = 10, Payload = "hi"u8.ToArray() };
        Vector.RoundTrip(packet, version,
            "3D 09" /* fixed header: PUBLISH, DUP 1, QoS 10, RETAIN 1, remaining length 9 */
            + "00 03 61 2F 62" /* topic "a/b" */
            + "00 0A" /* packet identifier 10 */
            + "68 69" /* payload "hi" */);
    }

    [Fact]
    public void Publish_v311_retained_with_empty_payload_round_trips()
    {
        var packet = new PublishPacket { Topic = "a/b", Retain = true };
        Vector.RoundTrip(packet, MqttProtocolVersion.V311,
            "31 05" /* fixed header: PUBLISH, RETAIN 1, remaining length 5 */
            + "00 03 61 2F 62" /* topic "a/b", empty payload */);
    }

    [Fact]
    public void Publish_v311_with_two_byte_remaining_length_round_trips()
    {
        var payload = Enumerable.Range(0, 200).Select(i => (byte)i).ToArray();
        var packet = new PublishPacket { Topic = "a/b", Payload = payload };
        Vector.RoundTrip(packet, MqttProtocolVersion.V311,
            "30 CD 01" /* fixed header: PUBLISH, remaining length 205 = 0x4D + 1 * 128 */
            + "00 03 61 2F 62" /* topic "a/b" */
            + Hex.Format(payload) /* payload 00 01 .. C7 */);
    }

    [Fact]
    [Trait("spec", "MQTT-1.5.4-3")]
    public void Publish_v311_topic_starting_with_a_byte_order_mark_keeps_it()
    {
        var packet = (PublishPacket)Vector.DecodesTo(
            "30 06" /* fixed header: PUBLISH, remaining length 6 */
            + "00 04 EF BB BF 61" /* topic U+FEFF "a" */,
            MqttProtocolVersion.V311,
            new PublishPacket { Topic = "\uFEFFa" });
        Assert.Equal('\uFEFF', packet.Topic[0]);
        Vector.EncodesTo(packet, MqttProtocolVersion.V311, "30 06 00 04 EF BB BF 61");
    }

    [Fact]
    [Trait("spec", "MQTT-3.3.1-2")]
    public void Publish_encoder_clears_DUP_on_QoS0()
    {
        Vector.EncodesTo(new PublishPacket { Topic = "a/b", Dup = true }, MqttProtocolVersion.V311,
            "30 05" /* fixed header: DUP 0 although the packet says DUP, QoS 0 */ + "00 03 61 2F 62" /* topic "a/b" */);
    }

    [Fact]
    public void Publish_v311_encoder_leaves_the_5_0_properties_off_the_wire()
    {
        var packet = new PublishPacket
        {
            Topic = "a/b",
            QoS = QualityOfService.AtLeastOnce,
            PacketId = 10,
            Payload = "hi"u8.ToArray(),
            Properties = new MqttProperties { MessageExpiryInterval = 60, UserProperties = [new("k", "v")] },
        };
        Vector.EncodesTo(packet, MqttProtocolVersion.V311,
            "32 09" /* fixed header: QoS 1, remaining length 9 */
            + "00 03 61 2F 62" /* topic "a/b" */
            + "00 0A" /* packet identifier 10, no property length */
            + "68 69" /* payload "hi" */);
    }

    [Trait("spec", "MQTT-2.2.1-2")]
    [Trait("spec", "MQTT-2.2.2-1")]
    [Fact]
    public void Publish_v500_QoS0_without_properties_round_trips()
    {
        var packet = new PublishPacket { Topic = "a/b", Payload = "hi"u8.ToArray() };
        Vector.RoundTrip(packet, MqttProtocolVersion.V500,
            "30 08" /* fixed header: PUBLISH, QoS 0, remaining length 8 */
            + "00 03 61 2F 62" /* topic "a/b" */
            + "00" /* property length 0 */
            + "68 69" /* payload "hi" */);
    }

    [Fact]
    public void Publish_v500_QoS1_without_properties_round_trips()
    {
        var packet = new PublishPacket { Topic = "a/b", QoS = QualityOfService.AtLeastOnce, PacketId = 10, Payload = "hi"u8.ToArray() };
        Vector.RoundTrip(packet, MqttProtocolVersion.V500,
            "32 0A" /* fixed header: PUBLISH, QoS 1, remaining length 10 */
            + "00 03 61 2F 62" /* topic "a/b" */
            + "00 0A" /* packet identifier 10 */
            + "00" /* property length 0 */
            + "68 69" /* payload "hi" */);
    }

    [Fact]
    public void Publish_v500_QoS2_dup_retain_with_topic_alias_and_empty_topic_round_trips()
    {
        var packet = new PublishPacket
        {
            Topic = string.Empty,
            QoS = QualityOfService.ExactlyOnce,
            Dup = true,
            Retain = true,
            PacketId = 0x1234,
            Properties = new MqttProperties { TopicAlias = 5 },
            Payload = "hi"u8.ToArray(),
        };
        Vector.RoundTrip(packet, MqttProtocolVersion.V500,
            "3D 0A" /* fixed header: PUBLISH, DUP 1, QoS 2, RETAIN 1, remaining length 10 */
            + "00 00" /* topic "" (the alias stands in for it) */
            + "12 34" /* packet identifier 0x1234 */
            + "03" /* property length 3 */
            + "23 00 05" /* topic alias 5 */
            + "68 69" /* payload "hi" */);
    }

    [Trait("spec", "MQTT-3.3.2-1")]
    [Trait("spec", "MQTT-3.3.2-13")]
    [Trait("spec", "MQTT-3.3.2-19")]
    [Fact]
    public void Publish_v500_QoS1_retain_with_every_publish_property_round_trips()
    {
        var packet = new PublishPacket
        {
            Topic = "a/b",
            QoS = QualityOfService.AtLeastOnce,
            Retain = true,
            PacketId = 10,
            Properties = new MqttProperties
            {
                PayloadFormatIndicator = PayloadFormat.Utf8,
                MessageExpiryInterval = 3600,
                ContentType = "text/plain",
                ResponseTopic = "reply",
                CorrelationData = new byte[] { 0x01, 0x02, 0x03 },
                SubscriptionIdentifiers = [1, 128, VariableByteInteger.MaxValue],
                UserProperties = [new("z", "1"), new("a", "2"), new("z", "3")],
            },
            Payload = "hi"u8.ToArray(),
        };
        Vector.RoundTrip(packet, MqttProtocolVersion.V500,
            "33 4B" /* fixed header: PUBLISH, QoS 1, RETAIN 1, remaining length 75 */
            + "00 03 61 2F 62" /* topic "a/b" */
            + "00 0A" /* packet identifier 10 */
            + "41" /* property length 65 */
            + "01 01" /* payload format indicator: UTF-8 */
            + "02 00 00 0E 10" /* message expiry interval 3600 */
            + "03 00 0A 74 65 78 74 2F 70 6C 61 69 6E" /* content type "text/plain" */
            + "08 00 05 72 65 70 6C 79" /* response topic "reply" */
            + "09 00 03 01 02 03" /* correlation data 01 02 03 */
            + "0B 01" /* subscription identifier 1 */
            + "0B 80 01" /* subscription identifier 128 */
            + "0B FF FF FF 7F" /* subscription identifier 268435455 */
            + "26 00 01 7A 00 01 31" /* user property z=1 */
            + "26 00 01 61 00 01 32" /* user property a=2 */
            + "26 00 01 7A 00 01 33" /* user property z=3 */
            + "68 69" /* payload "hi" */);
    }

    [Fact]
    [Trait("spec", "MQTT-3.3.2-18")]
    public void Publish_v500_user_properties_keep_their_order_and_repeats()
    {
        var hex = "30 1B" /* fixed header: PUBLISH, QoS 0, remaining length 27 */
            + "00 03 61 2F 62" /* topic "a/b" */
            + "15" /* property length 21 */
            + "26 00 01 7A 00 01 31" /* user property z=1 */
            + "26 00 01 61 00 01 32" /* user property a=2 */
            + "26 00 01 7A 00 01 33" /* user property z=3, no payload */;
        var packet = new PublishPacket { Topic = "a/b", Properties = new MqttProperties { UserProperties = [new("z", "1"), new("a", "2"), new("z", "3")] } };
        Vector.RoundTrip(packet, MqttProtocolVersion.V500, hex);
        var decoded = (PublishPacket)PacketAssert.Decode(Hex.Bytes(hex), MqttProtocolVersion.V500);
        Assert.Equal([new("z", "1"), new("a", "2"), new("z", "3")], decoded.Properties!.UserProperties);
    }

    [Fact]
    public void Publish_v500_payload_format_and_content_type_round_trips()
    {
        var packet = new PublishPacket
        {
            Topic = "a/b",
            Properties = new MqttProperties { PayloadFormatIndicator = PayloadFormat.Utf8, ContentType = "json" },
            Payload = "{}"u8.ToArray(),
        };
        Vector.RoundTrip(packet, MqttProtocolVersion.V500,
            "30 11" /* fixed header: PUBLISH, QoS 0, remaining length 17 */
            + "00 03 61 2F 62" /* topic "a/b" */
            + "09" /* property length 9 */
            + "01 01" /* payload format indicator: UTF-8 */
            + "03 00 04 6A 73 6F 6E" /* content type "json" */
            + "7B 7D" /* payload "{}" */);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V310)]
    [InlineData(MqttProtocolVersion.V311)]
    public void Publish_with_an_alias_and_empty_topic_cannot_be_written_before_5_0(MqttProtocolVersion version)
    {
        var aliased = new PublishPacket { Topic = string.Empty, Properties = new MqttProperties { TopicAlias = 1 } };
        Assert.Throws<ArgumentException>(() => PacketAssert.Encode(aliased, version));
        Assert.Equal("30 06 00 00 03 23 00 01", Hex.Format(PacketAssert.Encode(aliased, MqttProtocolVersion.V500)));
    }
}
