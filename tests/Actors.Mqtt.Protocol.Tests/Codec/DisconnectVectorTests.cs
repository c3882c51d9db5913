using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Actors.Mqtt.Protocol.Tests.Support;

namespace Actors.Mqtt.Protocol.Tests.Codec;

/// <summary>DISCONNECT byte for byte: empty before 5.0; in 5.0 a reason code and properties, both optional.</summary>
public class DisconnectVectorTests
{
    public static TheoryData<MqttProtocolVersion> AllVersions => [MqttProtocolVersion.V310, MqttProtocolVersion.V311, MqttProtocolVersion.V500];

    [Theory]
    [MemberData(nameof(AllVersions))]
    public void Disconnect_with_zero_length_body_round_trips(MqttProtocolVersion version)
    {
        // In 5.0 a remaining length of 0 means reason code 0x00 Normal disconnection and no properties.
        Vector.RoundTrip(new DisconnectPacket(), version, "E0 00" /* fixed header: DISCONNECT, remaining length 0 */);
    }

    [Fact]
    public void Disconnect_v311_encoder_leaves_the_5_0_reason_code_and_properties_off_the_wire()
    {
        var packet = new DisconnectPacket { ReasonCode = ReasonCode.ServerShuttingDown, Properties = new MqttProperties { ReasonString = "bye" } };
        Vector.EncodesTo(packet, MqttProtocolVersion.V311, "E0 00" /* fixed header, remaining length 0 */);
    }

    [Fact]
    public void Disconnect_v500_reason_code_without_properties_round_trips()
    {
        Vector.RoundTrip(new DisconnectPacket { ReasonCode = ReasonCode.DisconnectWithWillMessage }, MqttProtocolVersion.V500,
            "E0 01" /* fixed header: DISCONNECT, remaining length 1 */ + "04" /* disconnect with will message; property length left out */);
    }

    [Fact]
    public void Disconnect_v500_with_session_expiry_server_reference_and_reason_string_round_trips()
    {
        var packet = new DisconnectPacket
        {
            ReasonCode = ReasonCode.UseAnotherServer,
            Properties = new MqttProperties { SessionExpiryInterval = 3600, ServerReference = "other", ReasonString = "move" },
        };
        Vector.RoundTrip(packet, MqttProtocolVersion.V500,
            "E0 16" /* fixed header: DISCONNECT, remaining length 22 */
            + "9C" /* reason code: use another server */
            + "14" /* property length 20 */
            + "11 00 00 0E 10" /* session expiry interval 3600 */
            + "1C 00 05 6F 74 68 65 72" /* server reference "other" */
            + "1F 00 04 6D 6F 76 65" /* reason string "move" */);
    }

    [Fact]
    public void Disconnect_v500_normal_with_zero_property_length_decodes_like_the_empty_form()
    {
        Vector.DecodesTo("E0 02" /* fixed header, remaining length 2 */ + "00" /* normal disconnection */ + "00" /* property length 0 */,
            MqttProtocolVersion.V500, new DisconnectPacket());
    }
}
