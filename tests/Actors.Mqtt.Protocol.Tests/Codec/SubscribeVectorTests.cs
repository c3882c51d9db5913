using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Actors.Mqtt.Protocol.Tests.Support;

namespace Actors.Mqtt.Protocol.Tests.Codec;

/// <summary>SUBSCRIBE byte for byte: packet id, 5.0 properties, then each topic filter with its options byte.</summary>
public class SubscribeVectorTests
{
    public static TheoryData<MqttProtocolVersion> V3Versions => [MqttProtocolVersion.V310, MqttProtocolVersion.V311];

    [Theory]
    [MemberData(nameof(V3Versions))]
    public void Subscribe_v3_spec_example_round_trips(MqttProtocolVersion version)
    {
        // 3.1.1 figures 3.21-3.22: packet identifier 10, "a/b" at QoS 1 and "c/d" at QoS 2.
        var packet = new SubscribePacket
        {
            PacketId = 10,
            Subscriptions = [new("a/b") { MaximumQoS = QualityOfService.AtLeastOnce }, new("c/d") { MaximumQoS = QualityOfService.ExactlyOnce }],
        };
        Vector.RoundTrip(packet, version,
            "82 0E" /* fixed header: SUBSCRIBE, reserved flags 0010, remaining length 14 */
            + "00 0A" /* packet identifier 10 */
            + "00 03 61 2F 62 01" /* "a/b", requested QoS 1 */
            + "00 03 63 2F 64 02" /* "c/d", requested QoS 2 */);
    }

    [Fact]
    public void Subscribe_v500_with_every_option_bit_shared_filter_and_subscription_identifier_round_trips()
    {
        var packet = new SubscribePacket
        {
            PacketId = 10,
            Properties = new MqttProperties { SubscriptionIdentifiers = [5] },
            Subscriptions =
            [
                new("a/b") { MaximumQoS = QualityOfService.AtLeastOnce, NoLocal = true },
                new("c/#") { MaximumQoS = QualityOfService.ExactlyOnce, RetainAsPublished = true, RetainHandling = RetainHandling.SendAtSubscribeIfNew },
                new("$share/g/a/#") { MaximumQoS = QualityOfService.AtMostOnce, RetainHandling = RetainHandling.DoNotSend },
                new("x/y") { MaximumQoS = QualityOfService.ExactlyOnce, NoLocal = true, RetainAsPublished = true, RetainHandling = RetainHandling.DoNotSend },
            ],
        };
        Vector.RoundTrip(packet, MqttProtocolVersion.V500,
            "82 26" /* fixed header: SUBSCRIBE, remaining length 38 */
            + "00 0A" /* packet identifier 10 */
            + "02" /* property length 2 */
            + "0B 05" /* subscription identifier 5 */
            + "00 03 61 2F 62" /* "a/b" */
            + "05" /* options: retain handling 0, retain as published 0, no local 1, QoS 1 */
            + "00 03 63 2F 23" /* "c/#" */
            + "1A" /* options: retain handling 1, retain as published 1, no local 0, QoS 2 */
            + "00 0C 24 73 68 61 72 65 2F 67 2F 61 2F 23" /* "$share/g/a/#" */
            + "20" /* options: retain handling 2, QoS 0 */
            + "00 03 78 2F 79" /* "x/y" */
            + "2E" /* options: retain handling 2, retain as published 1, no local 1, QoS 2 */);
    }

    [Fact]
    public void Subscribe_v500_without_properties_round_trips()
    {
        var packet = new SubscribePacket { PacketId = 0xFFFF, Subscriptions = [new("#")] };
        Vector.RoundTrip(packet, MqttProtocolVersion.V500,
            "82 07" /* fixed header: SUBSCRIBE, remaining length 7 */
            + "FF FF" /* packet identifier 65535 */
            + "00" /* property length 0 */
            + "00 01 23 00" /* "#", options 0 */);
    }

    [Fact]
    public void Subscribe_v311_encoder_leaves_the_5_0_options_and_properties_off_the_wire()
    {
        var packet = new SubscribePacket
        {
            PacketId = 10,
            Properties = new MqttProperties { SubscriptionIdentifiers = [5] },
            Subscriptions =
            [
                new("a/b") { MaximumQoS = QualityOfService.AtLeastOnce, NoLocal = true, RetainAsPublished = true, RetainHandling = RetainHandling.DoNotSend },
                new("c/d") { MaximumQoS = QualityOfService.ExactlyOnce, RetainHandling = RetainHandling.SendAtSubscribeIfNew },
            ],
        };
        Vector.EncodesTo(packet, MqttProtocolVersion.V311,
            "82 0E" /* fixed header: remaining length 14 */
            + "00 0A" /* packet identifier 10, no property length */
            + "00 03 61 2F 62 01" /* "a/b", QoS 1 and nothing else */
            + "00 03 63 2F 64 02" /* "c/d", QoS 2 and nothing else */);
    }

    [Fact]
    public void Subscribe_v310_with_DUP_set_decodes()
    {
        // MQTT 3.1 sent SUBSCRIBE with QoS 1 semantics, so its clients may set DUP on a retry.
        var packet = new SubscribePacket { PacketId = 10, Subscriptions = [new("a/b") { MaximumQoS = QualityOfService.AtLeastOnce }] };
        Vector.DecodesTo("8A 08" /* fixed header: SUBSCRIBE, DUP 1, QoS 1 */ + "00 0A" /* packet identifier 10 */ + "00 03 61 2F 62 01" /* "a/b" QoS 1 */, MqttProtocolVersion.V310, packet);
    }
}
