using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Actors.Mqtt.Protocol.Tests.Support;

namespace Actors.Mqtt.Protocol.Tests.Codec;

/// <summary>UNSUBSCRIBE byte for byte: packet id, 5.0 properties, then the topic filters.</summary>
public class UnsubscribeVectorTests
{
    public static TheoryData<MqttProtocolVersion> V3Versions => [MqttProtocolVersion.V310, MqttProtocolVersion.V311];

    [Theory]
    [MemberData(nameof(V3Versions))]
    public void Unsubscribe_v3_spec_example_round_trips(MqttProtocolVersion version)
    {
        // 3.1.1 figures 3.28-3.29: packet identifier 10, "a/b" and "c/d".
        var packet = new UnsubscribePacket { PacketId = 10, TopicFilters = ["a/b", "c/d"] };
        Vector.RoundTrip(packet, version,
            "A2 0C" /* fixed header: UNSUBSCRIBE, reserved flags 0010, remaining length 12 */
            + "00 0A" /* packet identifier 10 */
            + "00 03 61 2F 62" /* "a/b" */
            + "00 03 63 2F 64" /* "c/d" */);
    }

    [Fact]
    public void Unsubscribe_v500_without_properties_round_trips()
    {
        var packet = new UnsubscribePacket { PacketId = 10, TopicFilters = ["a/b"] };
        Vector.RoundTrip(packet, MqttProtocolVersion.V500,
            "A2 08" /* fixed header: UNSUBSCRIBE, remaining length 8 */
            + "00 0A" /* packet identifier 10 */
            + "00" /* property length 0 */
            + "00 03 61 2F 62" /* "a/b" */);
    }

    [Fact]
    public void Unsubscribe_v500_with_user_property_and_shared_filter_round_trips()
    {
        var packet = new UnsubscribePacket
        {
            PacketId = 10,
            Properties = new MqttProperties { UserProperties = [new("k", "v")] },
            TopicFilters = ["a/b", "$share/g/a/#"],
        };
        Vector.RoundTrip(packet, MqttProtocolVersion.V500,
            "A2 1D" /* fixed header: UNSUBSCRIBE, remaining length 29 */
            + "00 0A" /* packet identifier 10 */
            + "07" /* property length 7 */
            + "26 00 01 6B 00 01 76" /* user property k=v */
            + "00 03 61 2F 62" /* "a/b" */
            + "00 0C 24 73 68 61 72 65 2F 67 2F 61 2F 23" /* "$share/g/a/#" */);
    }

    [Fact]
    public void Unsubscribe_v311_encoder_leaves_the_5_0_properties_off_the_wire()
    {
        var packet = new UnsubscribePacket { PacketId = 10, TopicFilters = ["a/b"], Properties = new MqttProperties { UserProperties = [new("k", "v")] } };
        Vector.EncodesTo(packet, MqttProtocolVersion.V311,
            "A2 07" /* fixed header: remaining length 7 */ + "00 0A" /* packet identifier 10, no property length */ + "00 03 61 2F 62" /* "a/b" */);
    }
}
