using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Actors.Mqtt.Protocol.Tests.Support;

namespace Actors.Mqtt.Protocol.Tests.Codec;

/// <summary>UNSUBACK byte for byte: the packet id alone before 5.0; in 5.0 properties and one reason code per filter.</summary>
public class UnsubAckVectorTests
{
    public static TheoryData<MqttProtocolVersion> V3Versions => [MqttProtocolVersion.V310, MqttProtocolVersion.V311];

    [Theory]
    [MemberData(nameof(V3Versions))]
    public void UnsubAck_v3_round_trips(MqttProtocolVersion version)
    {
        Vector.RoundTrip(new UnsubAckPacket { PacketId = 10 }, version,
            "B0 02" /* fixed header: UNSUBACK, remaining length 2 */ + "00 0A" /* packet identifier 10 */);
    }

    [Fact]
    public void UnsubAck_v311_encoder_leaves_the_5_0_reason_codes_and_properties_off_the_wire()
    {
        var packet = new UnsubAckPacket { PacketId = 10, ReasonCodes = [ReasonCode.NoSubscriptionExisted], Properties = new MqttProperties { ReasonString = "x" } };
        Vector.EncodesTo(packet, MqttProtocolVersion.V311, "B0 02" /* fixed header */ + "00 0A" /* packet identifier 10 only */);
    }

    [Fact]
    public void UnsubAck_v500_without_properties_round_trips()
    {
        var packet = new UnsubAckPacket { PacketId = 10, ReasonCodes = [ReasonCode.NoSubscriptionExisted] };
        Vector.RoundTrip(packet, MqttProtocolVersion.V500,
            "B0 04" /* fixed header: UNSUBACK, remaining length 4 */
            + "00 0A" /* packet identifier 10 */
            + "00" /* property length 0 */
            + "11" /* no subscription existed */);
    }

    [Fact]
    public void UnsubAck_v500_mixed_reason_codes_with_reason_string_round_trip()
    {
        var packet = new UnsubAckPacket
        {
            PacketId = 10,
            Properties = new MqttProperties { ReasonString = "x" },
            ReasonCodes = [ReasonCode.Success, ReasonCode.NoSubscriptionExisted, ReasonCode.NotAuthorized, ReasonCode.TopicFilterInvalid],
        };
        Vector.RoundTrip(packet, MqttProtocolVersion.V500,
            "B0 0B" /* fixed header: UNSUBACK, remaining length 11 */
            + "00 0A" /* packet identifier 10 */
            + "04" /* property length 4 */
            + "1F 00 01 78" /* reason string "x" */
            + "00 11 87 8F" /* success, no subscription existed, not authorized, topic filter invalid */);
    }
}
