using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Actors.Mqtt.Protocol.Tests.Support;

namespace Actors.Mqtt.Protocol.Tests.Codec;

/// <summary>CONNACK byte for byte: 3.1 (reserved byte, return code), 3.1.1 (session present), 5.0 (reason code, properties).</summary>
public class ConnAckVectorTests
{
    [Fact]
    public void ConnAck_v310_accepted_round_trips()
    {
        Vector.RoundTrip(new ConnAckPacket(), MqttProtocolVersion.V310,
            "20 02" /* fixed header: CONNACK, remaining length 2 */
            + "00" /* reserved */
            + "00" /* return code 0: accepted */);
    }

    [Fact]
    public void ConnAck_v310_encoder_leaves_session_present_off_the_wire()
    {
        // 3.1 has no session present flag: the first byte is reserved.
        Vector.EncodesTo(new ConnAckPacket { SessionPresent = true }, MqttProtocolVersion.V310,
            "20 02" /* fixed header */ + "00" /* reserved, not session present */ + "00" /* accepted */);
    }

    [Theory]
    [InlineData(0x00, ReasonCode.Success)]
    [InlineData(0x01, ReasonCode.UnsupportedProtocolVersion)]
    [InlineData(0x02, ReasonCode.ClientIdentifierNotValid)]
    [InlineData(0x03, ReasonCode.ServerUnavailable)]
    [InlineData(0x04, ReasonCode.BadUserNameOrPassword)]
    [InlineData(0x05, ReasonCode.NotAuthorized)]
    public void ConnAck_v311_return_code_maps_to_and_from_reason_code(byte returnCode, ReasonCode reason)
    {
        var hex = "20 02" /* fixed header */ + "00" /* session present 0 */ + returnCode.ToString("X2", System.Globalization.CultureInfo.InvariantCulture);
        Vector.RoundTrip(new ConnAckPacket { ReasonCode = reason }, MqttProtocolVersion.V311, hex);
    }

    [Theory]
    [InlineData(0x00, ReasonCode.Success)]
    [InlineData(0x01, ReasonCode.UnsupportedProtocolVersion)]
    [InlineData(0x02, ReasonCode.ClientIdentifierNotValid)]
    [InlineData(0x03, ReasonCode.ServerUnavailable)]
    [InlineData(0x04, ReasonCode.BadUserNameOrPassword)]
    [InlineData(0x05, ReasonCode.NotAuthorized)]
    public void ConnAck_v310_return_code_maps_to_and_from_reason_code(byte returnCode, ReasonCode reason)
    {
        var hex = "20 02" /* fixed header */ + "00" /* reserved */ + returnCode.ToString("X2", System.Globalization.CultureInfo.InvariantCulture);
        Vector.RoundTrip(new ConnAckPacket { ReasonCode = reason }, MqttProtocolVersion.V310, hex);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311, "20 02" + "00" /* session present forced to 0 */ + "05" /* not authorized */)]
    [InlineData(MqttProtocolVersion.V500, "20 03" + "00" /* session present forced to 0 */ + "87" /* not authorized */ + "00" /* no properties */)]
    public void MQTT_3_2_2_6_refused_connection_is_written_without_session_present(MqttProtocolVersion version, string hex)
    {
        Vector.EncodesTo(new ConnAckPacket { SessionPresent = true, ReasonCode = ReasonCode.NotAuthorized }, version, hex);
    }

    [Fact]
    public void ConnAck_v311_session_present_round_trips()
    {
        Vector.RoundTrip(new ConnAckPacket { SessionPresent = true }, MqttProtocolVersion.V311,
            "20 02" /* fixed header */ + "01" /* session present 1 */ + "00" /* accepted */);
    }

    [Theory]
    [InlineData(ReasonCode.BadAuthenticationMethod, 0x04)]
    [InlineData(ReasonCode.Banned, 0x05)]
    [InlineData(ReasonCode.ServerBusy, 0x03)]
    [InlineData(ReasonCode.UnspecifiedError, 0x03)]
    [InlineData(ReasonCode.QuotaExceeded, 0x03)]
    public void ConnAck_v311_encoder_writes_a_5_0_only_reason_code_as_the_nearest_return_code(ReasonCode reason, byte returnCode)
    {
        var hex = "20 02" /* fixed header */ + "00" /* session present 0 */ + returnCode.ToString("X2", System.Globalization.CultureInfo.InvariantCulture);
        Vector.EncodesTo(new ConnAckPacket { ReasonCode = reason }, MqttProtocolVersion.V311, hex);
    }

    [Fact]
    public void ConnAck_v311_encoder_leaves_the_5_0_properties_off_the_wire()
    {
        var packet = new ConnAckPacket { SessionPresent = true, Properties = new MqttProperties { ReasonString = "x", ReceiveMaximum = 5 } };
        Vector.EncodesTo(packet, MqttProtocolVersion.V311, "20 02" /* fixed header */ + "01" /* session present */ + "00" /* accepted, no property length */);
    }

    [Fact]
    public void ConnAck_v500_without_properties_round_trips()
    {
        Vector.RoundTrip(new ConnAckPacket(), MqttProtocolVersion.V500,
            "20 03" /* fixed header: CONNACK, remaining length 3 */
            + "00" /* acknowledge flags: session present 0 */
            + "00" /* reason code: success */
            + "00" /* property length 0 */);
    }

    [Fact]
    public void ConnAck_v500_with_server_properties_round_trips()
    {
        var packet = new ConnAckPacket
        {
            SessionPresent = true,
            Properties = new MqttProperties
            {
                SessionExpiryInterval = 120,
                AssignedClientIdentifier = "abc",
                ServerKeepAlive = 60,
                ReceiveMaximum = 10,
                TopicAliasMaximum = 8,
                MaximumQoS = QualityOfService.AtLeastOnce,
                RetainAvailable = false,
                UserProperties = [new("k", "v")],
                MaximumPacketSize = 65536,
                WildcardSubscriptionAvailable = true,
                SubscriptionIdentifiersAvailable = false,
                SharedSubscriptionAvailable = true,
            },
        };
        Vector.RoundTrip(packet, MqttProtocolVersion.V500,
            "20 2D" /* fixed header: CONNACK, remaining length 45 */
            + "01" /* session present 1 */
            + "00" /* reason code: success */
            + "2A" /* property length 42 */
            + "11 00 00 00 78" /* session expiry interval 120 */
            + "12 00 03 61 62 63" /* assigned client identifier "abc" */
            + "13 00 3C" /* server keep alive 60 */
            + "21 00 0A" /* receive maximum 10 */
            + "22 00 08" /* topic alias maximum 8 */
            + "24 01" /* maximum QoS 1 */
            + "25 00" /* retain available 0 */
            + "26 00 01 6B 00 01 76" /* user property k=v */
            + "27 00 01 00 00" /* maximum packet size 65536 */
            + "28 01" /* wildcard subscription available 1 */
            + "29 00" /* subscription identifiers available 0 */
            + "2A 01" /* shared subscription available 1 */);
    }

    [Fact]
    public void ConnAck_v500_refusal_with_server_reference_and_reason_string_round_trips()
    {
        var packet = new ConnAckPacket
        {
            ReasonCode = ReasonCode.NotAuthorized,
            Properties = new MqttProperties { ServerReference = "other", ReasonString = "denied" },
        };
        Vector.RoundTrip(packet, MqttProtocolVersion.V500,
            "20 14" /* fixed header: CONNACK, remaining length 20 */
            + "00" /* session present 0 */
            + "87" /* reason code: not authorized */
            + "11" /* property length 17 */
            + "1C 00 05 6F 74 68 65 72" /* server reference "other" */
            + "1F 00 06 64 65 6E 69 65 64" /* reason string "denied" */);
    }
}
