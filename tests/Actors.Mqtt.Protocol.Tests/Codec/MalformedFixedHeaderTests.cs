using System.Buffers;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Tests.Support;

namespace Actors.Mqtt.Protocol.Tests.Codec;

public class MalformedFixedHeaderTests
{
    private const MqttProtocolVersion V310 = MqttProtocolVersion.V310;
    private const MqttProtocolVersion V311 = MqttProtocolVersion.V311;
    private const MqttProtocolVersion V500 = MqttProtocolVersion.V500;

    public static TheoryData<string, MqttProtocolVersion> NonMinimalLengths()
    {
        var data = new TheoryData<string, MqttProtocolVersion>();
        foreach (var version in new[] { V310, V311, V500 })
        {
            data.Add("C0 80 00", version);
            data.Add("C0 80 80 00", version);
            data.Add("C0 80 80 80 00", version);
            data.Add("30 81 00 00 01 61", version);
            data.Add("30 83 80 00 00 01 61 62", version);
        }

        return data;
    }

    public static TheoryData<int, MqttProtocolVersion> NonPublishTypes()
    {
        var data = new TheoryData<int, MqttProtocolVersion>();
        foreach (var version in new[] { V310, V311, V500 })
        {
            for (var type = 1; type <= (version == V500 ? 15 : 14); type++)
            {
                if (type != (int)PacketType.Publish)
                {
                    data.Add(type, version);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    [Trait("spec", "MQTT-1.5.5-1")]
    public void Remaining_length_with_a_fifth_byte_is_malformed(MqttProtocolVersion version)
    {
        // Refused from the header alone: four continuation bytes, whatever follows.
        Wire.Fails(Wire.Bytes("30 FF FF FF FF 7F"), version, ReasonCode.MalformedPacket, "MQTT-1.5.5-1");
        Wire.Fails(Wire.Bytes("C0 80 80 80 80 01"), version, ReasonCode.MalformedPacket, "MQTT-1.5.5-1");
        Wire.Fails(Wire.Bytes("30 FF FF FF FF"), version, ReasonCode.MalformedPacket, "MQTT-1.5.5-1");
    }

    [Theory]
    [MemberData(nameof(NonMinimalLengths))]
    [Trait("spec", "MQTT-1.5.5-1")]
    public void MQTT_1_5_5_1_remaining_length_not_in_its_shortest_form_is_malformed(string hex, MqttProtocolVersion version) =>
        Wire.Fails(Wire.Bytes(hex), version, ReasonCode.MalformedPacket, "MQTT-1.5.5-1");

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    public void Remaining_length_in_its_shortest_form_decodes(MqttProtocolVersion version)
    {
        Assert.Same(PingReqPacket.Instance, PacketAssert.Decode(Wire.Bytes("C0 00"), version));

        // 128 in two bytes: 80 01.
        var body = new string('x', 128 - 3 - (version == V500 ? 1 : 0));
        var publish = new PublishPacket { Topic = "a", Payload = System.Text.Encoding.ASCII.GetBytes(body) };
        var bytes = PacketAssert.Encode(publish, version);
        Assert.Equal(Wire.Bytes("30 80 01"), bytes[..3]);
        PacketAssert.Equal(publish, PacketAssert.Decode(bytes, version));
    }

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    public void Declared_length_longer_than_the_bytes_received_needs_more_data(MqttProtocolVersion version)
    {
        Assert.Equal(OperationStatus.NeedMoreData, Wire.Status(Wire.Bytes("30"), version));
        Assert.Equal(OperationStatus.NeedMoreData, Wire.Status(Wire.Bytes("30 80"), version));
        Assert.Equal(OperationStatus.NeedMoreData, Wire.Status(Wire.Bytes("30 FF FF FF"), version));
        Assert.Equal(OperationStatus.NeedMoreData, Wire.Status(Wire.Bytes("30 05 00 01 61"), version));
        Assert.Equal(OperationStatus.NeedMoreData, Wire.Status(Wire.Bytes("30 FF FF FF 7F 00 01 61"), version));
        Assert.Equal(OperationStatus.NeedMoreData, Wire.Status(Wire.Bytes("10 0D 00 04 4D 51 54 54"), version));

        // The same frames, complete, decode: the short ones were not refused for their content.
        Assert.Equal(OperationStatus.Done, Wire.Status(Wire.Bytes("30 05 00 01 61 00 63"), version));
    }

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    public void Body_whose_own_lengths_overrun_the_remaining_length_is_malformed(MqttProtocolVersion version)
    {
        // Topic length 5 inside a 3-byte body; the next bytes in the buffer belong to another packet.
        Wire.Fails(Wire.Bytes("30 03 00 05 61 62 63 64 65"), version, ReasonCode.MalformedPacket);

        // Packet id of a PUBACK cut at one byte, the second byte already in the buffer.
        Wire.Fails(Wire.Bytes("40 01 00 01"), version, ReasonCode.MalformedPacket);

        // CONNECT whose client id length runs past the body.
        Wire.Fails(Wire.Bytes("10 0D 00 04 4D 51 54 54 04 02 00 3C 00 02 63 64"), version, ReasonCode.MalformedPacket);

        // Empty body where a packet id is required.
        Wire.Fails(Wire.Bytes("62 00"), version, ReasonCode.MalformedPacket);
    }

    [Trait("spec", "MQTT-3.6.1-1")]
    [Trait("spec", "MQTT-3.8.1-1")]
    [Trait("spec", "MQTT-3.10.1-1")]
    [Trait("spec", "MQTT-3.14.1-1")]
    [Trait("spec", "MQTT-3.15.1-1")]
    [Theory]
    [MemberData(nameof(NonPublishTypes))]
    [Trait("spec", "MQTT-2.1.3-1")]
    public void MQTT_2_1_3_1_reserved_flags_other_than_the_fixed_value_are_malformed(int type, MqttProtocolVersion version)
    {
        var packetType = (PacketType)type;
        var expected = packetType is PacketType.PubRel or PacketType.Subscribe or PacketType.Unsubscribe ? 0x2 : 0x0;
        for (var flags = 0; flags < 16; flags++)
        {
            if (flags == expected || (version == V310 && expected == 0x2 && flags == 0xA))
            {
                continue;
            }

            // The body is irrelevant: the flags are checked first.
            var error = Wire.Fails([(byte)((type << 4) | flags), 0x00], version, ReasonCode.MalformedPacket, "MQTT-2.1.3-1");
            Assert.Contains(packetType.ToString(), error.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    public void Packet_type_0_is_malformed(MqttProtocolVersion version)
    {
        Wire.Fails(Wire.Bytes("00 00"), version, ReasonCode.MalformedPacket);
        Wire.Fails(Wire.Bytes("02 02 00 01"), version, ReasonCode.MalformedPacket);

        // Refused before the body arrives.
        Wire.Fails(Wire.Bytes("00 7F"), version, ReasonCode.MalformedPacket);
    }

    [Theory]
    [MemberData(nameof(Wire.V3Versions), MemberType = typeof(Wire))]
    public void Packet_type_15_before_MQTT_5_is_malformed(MqttProtocolVersion version)
    {
        Wire.Fails(Wire.Bytes("F0 00"), version, ReasonCode.MalformedPacket);
        Wire.Fails(Wire.Bytes("F0 02 00 00"), version, ReasonCode.MalformedPacket);
    }

    [Fact]
    public void Packet_type_15_on_MQTT_5_is_AUTH() =>
        Assert.IsType<AuthPacket>(PacketAssert.Decode(Wire.Bytes("F0 00"), V500));

    [Fact]
    public void MQTT_3_1_tolerates_DUP_on_PUBREL_SUBSCRIBE_UNSUBSCRIBE()
    {
        PacketAssert.Equal(new PubRelPacket { PacketId = 1 }, PacketAssert.Decode(Wire.Bytes("6A 02 00 01"), V310));
        PacketAssert.Equal(
            new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription("a") { MaximumQoS = QualityOfService.AtLeastOnce }] },
            PacketAssert.Decode(Wire.Bytes("8A 06 00 01 00 01 61 01"), V310));
        PacketAssert.Equal(
            new UnsubscribePacket { PacketId = 1, TopicFilters = ["a"] },
            PacketAssert.Decode(Wire.Bytes("AA 05 00 01 00 01 61"), V310));
    }

    [Theory]
    [InlineData("6A 02 00 01")]
    [InlineData("8A 06 00 01 00 01 61 01")]
    [InlineData("AA 05 00 01 00 01 61")]
    [Trait("spec", "MQTT-2.1.3-1")]
    public void MQTT_2_1_3_1_DUP_on_PUBREL_SUBSCRIBE_UNSUBSCRIBE_is_malformed_on_3_1_1(string hex) =>
        Wire.Fails(Wire.Bytes(hex), V311, ReasonCode.MalformedPacket, "MQTT-2.1.3-1");

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    public void Packet_over_the_maximum_size_is_too_large(MqttProtocolVersion version)
    {
        // 12 bytes on the wire.
        var publish = Wire.Bytes("30 0A 00 01 61 00 62 63 64 65 66 67");
        Assert.Equal(OperationStatus.Done, Wire.Status(publish, version, maximumPacketSize: 12));
        Wire.Fails(publish, version, ReasonCode.PacketTooLarge, maximumPacketSize: 11);

        // Refused as soon as the remaining length is known, before the body arrives.
        Wire.Fails(Wire.Bytes("30 7F"), version, ReasonCode.PacketTooLarge, maximumPacketSize: 100);
        Wire.Fails(Wire.Bytes("30 FF FF FF 7F"), version, ReasonCode.PacketTooLarge, maximumPacketSize: 1 << 20);
    }
}
