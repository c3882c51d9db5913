using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Actors.Mqtt.Protocol.Tests.Support;

namespace Actors.Mqtt.Protocol.Tests.Codec;

/// <summary>
/// PUBACK, PUBREC, PUBREL, PUBCOMP byte for byte. In 5.0 each has three forms: the packet id alone (Success, no
/// properties), with a reason code but no property length, and with a reason code and properties.
/// </summary>
public class PublishResponseVectorTests
{
    public static TheoryData<PacketType, string, MqttProtocolVersion> AllV3 => new()
    {
        { PacketType.PubAck, "40", MqttProtocolVersion.V310 },
        { PacketType.PubRec, "50", MqttProtocolVersion.V310 },
        { PacketType.PubRel, "62", MqttProtocolVersion.V310 },
        { PacketType.PubComp, "70", MqttProtocolVersion.V310 },
        { PacketType.PubAck, "40", MqttProtocolVersion.V311 },
        { PacketType.PubRec, "50", MqttProtocolVersion.V311 },
        { PacketType.PubRel, "62", MqttProtocolVersion.V311 },
        { PacketType.PubComp, "70", MqttProtocolVersion.V311 },
    };

    public static TheoryData<PacketType, string> TypesV5 => new()
    {
        { PacketType.PubAck, "40" },
        { PacketType.PubRec, "50" },
        { PacketType.PubRel, "62" },
        { PacketType.PubComp, "70" },
    };

    /// <summary>Packet type, first byte, and a failure reason code the type allows.</summary>
    public static TheoryData<PacketType, string, ReasonCode> AllV5 => new()
    {
        { PacketType.PubAck, "40", ReasonCode.NoMatchingSubscribers },
        { PacketType.PubRec, "50", ReasonCode.QuotaExceeded },
        { PacketType.PubRel, "62", ReasonCode.PacketIdentifierNotFound },
        { PacketType.PubComp, "70", ReasonCode.PacketIdentifierNotFound },
    };

    [Theory]
    [MemberData(nameof(AllV3))]
    public void PublishResponse_v3_round_trips(PacketType type, string firstByte, MqttProtocolVersion version)
    {
        // The first byte is 0x40, 0x50, 0x62 (PUBREL's reserved flags are 0010), 0x70.
        Vector.RoundTrip(Create(type, 10), version,
            firstByte + " 02" /* fixed header, remaining length 2 */
            + "00 0A" /* packet identifier 10 */);
    }

    [Theory]
    [MemberData(nameof(TypesV5))]
    public void PublishResponse_v500_success_without_properties_is_the_two_byte_form(PacketType type, string firstByte)
    {
        Vector.RoundTrip(Create(type, 10), MqttProtocolVersion.V500,
            firstByte + " 02" /* fixed header, remaining length 2 */
            + "00 0A" /* packet identifier 10; reason code Success and property length 0 are left out */);
    }

    [Theory]
    [MemberData(nameof(AllV5))]
    public void PublishResponse_v500_reason_code_without_properties_round_trips(PacketType type, string firstByte, ReasonCode reason)
    {
        Vector.RoundTrip(Create(type, 10, reason), MqttProtocolVersion.V500,
            firstByte + " 03" /* fixed header, remaining length 3 */
            + "00 0A" /* packet identifier 10 */
            + ((byte)reason).ToString("X2", System.Globalization.CultureInfo.InvariantCulture) /* reason code; property length left out */);
    }

    [Theory]
    [MemberData(nameof(AllV5))]
    public void PublishResponse_v500_reason_code_with_reason_string_round_trips(PacketType type, string firstByte, ReasonCode reason)
    {
        Vector.RoundTrip(Create(type, 10, reason, new MqttProperties { ReasonString = "oops" }), MqttProtocolVersion.V500,
            firstByte + " 0B" /* fixed header, remaining length 11 */
            + "00 0A" /* packet identifier 10 */
            + ((byte)reason).ToString("X2", System.Globalization.CultureInfo.InvariantCulture) /* reason code */
            + "07" /* property length 7 */
            + "1F 00 04 6F 6F 70 73" /* reason string "oops" */);
    }

    [Theory]
    [MemberData(nameof(TypesV5))]
    public void PublishResponse_v500_success_with_user_property_writes_the_reason_code(PacketType type, string firstByte)
    {
        Vector.RoundTrip(Create(type, 0xABCD, ReasonCode.Success, new MqttProperties { UserProperties = [new("k", "v")] }), MqttProtocolVersion.V500,
            firstByte + " 0B" /* fixed header, remaining length 11 */
            + "AB CD" /* packet identifier 0xABCD */
            + "00" /* reason code: success, needed because properties follow */
            + "07" /* property length 7 */
            + "26 00 01 6B 00 01 76" /* user property k=v */);
    }

    [Theory]
    [MemberData(nameof(TypesV5))]
    public void PublishResponse_v500_success_with_zero_property_length_decodes_like_the_short_form(PacketType type, string firstByte)
    {
        Vector.DecodesTo(
            firstByte + " 04" /* fixed header, remaining length 4 */
            + "00 0A" /* packet identifier 10 */
            + "00" /* reason code: success */
            + "00" /* property length 0 */,
            MqttProtocolVersion.V500,
            Create(type, 10));
    }

    [Theory]
    [MemberData(nameof(AllV5))]
    public void PublishResponse_v311_encoder_leaves_the_5_0_reason_code_and_properties_off_the_wire(PacketType type, string firstByte, ReasonCode reason)
    {
        Vector.EncodesTo(Create(type, 10, reason, new MqttProperties { ReasonString = "oops" }), MqttProtocolVersion.V311,
            firstByte + " 02" /* fixed header, remaining length 2 */ + "00 0A" /* packet identifier 10 only */);
    }

    [Fact]
    public void PubRel_v310_with_DUP_set_decodes()
    {
        // MQTT 3.1 sent PUBREL with QoS 1 semantics, so its clients may set DUP (0x08) on a retry.
        Vector.DecodesTo("6A 02" /* fixed header: PUBREL, DUP 1, QoS 1 */ + "00 0A" /* packet identifier 10 */, MqttProtocolVersion.V310, Create(PacketType.PubRel, 10));
    }

    private static PublishResponsePacket Create(PacketType type, ushort packetId, ReasonCode reason = ReasonCode.Success, MqttProperties? properties = null) => type switch
    {
        PacketType.PubAck => new PubAckPacket { PacketId = packetId, ReasonCode = reason, Properties = properties },
        PacketType.PubRec => new PubRecPacket { PacketId = packetId, ReasonCode = reason, Properties = properties },
        PacketType.PubRel => new PubRelPacket { PacketId = packetId, ReasonCode = reason, Properties = properties },
        PacketType.PubComp => new PubCompPacket { PacketId = packetId, ReasonCode = reason, Properties = properties },
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}
