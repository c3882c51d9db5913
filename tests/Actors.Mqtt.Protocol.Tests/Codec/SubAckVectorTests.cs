using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Actors.Mqtt.Protocol.Tests.Support;

namespace Actors.Mqtt.Protocol.Tests.Codec;

/// <summary>SUBACK byte for byte: packet id, 5.0 properties, one return or reason code per topic filter.</summary>
public class SubAckVectorTests
{
    [Fact]
    public void SubAck_v310_granted_QoS_round_trips()
    {
        var packet = new SubAckPacket { PacketId = 10, ReasonCodes = [ReasonCode.GrantedQoS0, ReasonCode.GrantedQoS1, ReasonCode.GrantedQoS2] };
        Vector.RoundTrip(packet, MqttProtocolVersion.V310,
            "90 05" /* fixed header: SUBACK, remaining length 5 */
            + "00 0A" /* packet identifier 10 */
            + "00 01 02" /* granted QoS 0, 1, 2 */);
    }

    [Fact]
    public void SubAck_v311_spec_example_with_failure_round_trips()
    {
        // 3.1.1 figure 3.26: success with maximum QoS 0, success with maximum QoS 2, failure 0x80.
        var packet = new SubAckPacket { PacketId = 10, ReasonCodes = [ReasonCode.GrantedQoS0, ReasonCode.GrantedQoS2, ReasonCode.UnspecifiedError] };
        Vector.RoundTrip(packet, MqttProtocolVersion.V311,
            "90 05" /* fixed header: SUBACK, remaining length 5 */
            + "00 0A" /* packet identifier 10 */
            + "00 02 80" /* QoS 0, QoS 2, failure */);
    }

    [Fact]
    public void SubAck_v311_encoder_writes_every_5_0_failure_as_0x80()
    {
        var packet = new SubAckPacket
        {
            PacketId = 10,
            ReasonCodes = [ReasonCode.GrantedQoS1, ReasonCode.NotAuthorized, ReasonCode.TopicFilterInvalid, ReasonCode.SharedSubscriptionsNotSupported],
            Properties = new MqttProperties { ReasonString = "no" },
        };
        Vector.EncodesTo(packet, MqttProtocolVersion.V311,
            "90 06" /* fixed header: SUBACK, remaining length 6 */
            + "00 0A" /* packet identifier 10, no property length */
            + "01 80 80 80" /* QoS 1, then 0x87, 0x8F and 0x9E all written as failure 0x80 */);
    }

    [Fact]
    public void SubAck_v500_without_properties_round_trips()
    {
        var packet = new SubAckPacket { PacketId = 10, ReasonCodes = [ReasonCode.GrantedQoS1, ReasonCode.UnspecifiedError] };
        Vector.RoundTrip(packet, MqttProtocolVersion.V500,
            "90 05" /* fixed header: SUBACK, remaining length 5 */
            + "00 0A" /* packet identifier 10 */
            + "00" /* property length 0 */
            + "01 80" /* granted QoS 1, unspecified error */);
    }

    [Fact]
    public void SubAck_v500_mixed_reason_codes_with_reason_string_round_trip()
    {
        var packet = new SubAckPacket
        {
            PacketId = 10,
            Properties = new MqttProperties { ReasonString = "part" },
            ReasonCodes =
            [
                ReasonCode.GrantedQoS0,
                ReasonCode.GrantedQoS2,
                ReasonCode.NotAuthorized,
                ReasonCode.SharedSubscriptionsNotSupported,
                ReasonCode.SubscriptionIdentifiersNotSupported,
                ReasonCode.WildcardSubscriptionsNotSupported,
            ],
        };
        Vector.RoundTrip(packet, MqttProtocolVersion.V500,
            "90 10" /* fixed header: SUBACK, remaining length 16 */
            + "00 0A" /* packet identifier 10 */
            + "07" /* property length 7 */
            + "1F 00 04 70 61 72 74" /* reason string "part" */
            + "00 02 87 9E A1 A2" /* QoS 0, QoS 2, not authorized, shared not supported, ids not supported, wildcards not supported */);
    }
}
