using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Actors.Mqtt.Protocol.Tests.Support;

namespace Actors.Mqtt.Protocol.Tests.Codec;

/// <summary>AUTH (MQTT 5.0 only) byte for byte: a reason code and properties, both optional.</summary>
public class AuthVectorTests
{
    [Fact]
    public void Auth_v500_with_zero_length_body_round_trips()
    {
        // Remaining length 0: reason code 0x00 Success and no properties.
        Vector.RoundTrip(new AuthPacket(), MqttProtocolVersion.V500, "F0 00" /* fixed header: AUTH, remaining length 0 */);
    }

    [Fact]
    public void Auth_v500_continue_with_method_and_data_round_trips()
    {
        var packet = new AuthPacket
        {
            ReasonCode = ReasonCode.ContinueAuthentication,
            Properties = new MqttProperties { AuthenticationMethod = "SCRAM", AuthenticationData = new byte[] { 0x01, 0x02, 0x03 } },
        };
        Vector.RoundTrip(packet, MqttProtocolVersion.V500,
            "F0 10" /* fixed header: AUTH, remaining length 16 */
            + "18" /* reason code: continue authentication */
            + "0E" /* property length 14 */
            + "15 00 05 53 43 52 41 4D" /* authentication method "SCRAM" */
            + "16 00 03 01 02 03" /* authentication data 01 02 03 */);
    }

    [Fact]
    public void Auth_v500_reauthenticate_without_properties_round_trips()
    {
        Vector.RoundTrip(new AuthPacket { ReasonCode = ReasonCode.ReAuthenticate }, MqttProtocolVersion.V500,
            "F0 01" /* fixed header: AUTH, remaining length 1 */ + "19" /* re-authenticate; property length left out */);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V310)]
    [InlineData(MqttProtocolVersion.V311)]
    public void Auth_before_5_0_is_neither_decoded_nor_encoded(MqttProtocolVersion version)
    {
        // Packet type 15 is reserved before 5.0.
        var error = PacketAssert.DecodeError(Hex.Bytes("F0 00"), version);
        Assert.Equal(ReasonCode.MalformedPacket, error.ReasonCode);
        Assert.Throws<ArgumentException>(() => PacketAssert.Encode(new AuthPacket(), version));
    }
}
