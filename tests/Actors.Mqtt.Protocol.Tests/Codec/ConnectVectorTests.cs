using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Actors.Mqtt.Protocol.Tests.Support;

namespace Actors.Mqtt.Protocol.Tests.Codec;

/// <summary>CONNECT byte for byte: section 3.1 of MQTT 3.1, 3.1.1 (figure 3.6) and 5.0 (figure 3-8).</summary>
public class ConnectVectorTests
{
    [Fact]
    public void Connect_v310_minimal_round_trips()
    {
        var packet = new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V310, ClientId = "c1", CleanSession = true, KeepAliveSeconds = 10 };
        Vector.RoundTrip(packet, MqttProtocolVersion.V310,
            "10 10" /* fixed header: CONNECT, remaining length 16 */
            + "00 06 4D 51 49 73 64 70" /* protocol name "MQIsdp" */
            + "03" /* protocol version 3 */
            + "02" /* connect flags: clean session */
            + "00 0A" /* keep alive 10 */
            + "00 02 63 31" /* client id "c1" */);
    }

    [Fact]
    public void Connect_v310_with_retained_QoS2_will_user_name_and_password_round_trips()
    {
        var packet = new ConnectPacket
        {
            ProtocolVersion = MqttProtocolVersion.V310,
            ClientId = "c1",
            CleanSession = false,
            KeepAliveSeconds = 10,
            Will = new MqttWill("w", "bye"u8.ToArray()) { QoS = QualityOfService.ExactlyOnce, Retain = true },
            UserName = "u",
            Password = "p"u8.ToArray(),
        };
        Vector.RoundTrip(packet, MqttProtocolVersion.V310,
            "10 1E" /* fixed header: CONNECT, remaining length 30 */
            + "00 06 4D 51 49 73 64 70" /* "MQIsdp" */
            + "03" /* protocol version 3 */
            + "F4" /* flags: user name 1, password 1, will retain 1, will QoS 10, will 1, clean session 0, reserved 0 */
            + "00 0A" /* keep alive 10 */
            + "00 02 63 31" /* client id "c1" */
            + "00 01 77" /* will topic "w" */
            + "00 03 62 79 65" /* will message "bye" */
            + "00 01 75" /* user name "u" */
            + "00 01 70" /* password "p" */);
    }

    [Fact]
    public void Connect_v311_spec_example_round_trips()
    {
        // Figure 3.6: "MQTT", level 4, flags CE (user name, password, will QoS 1, will, clean session), keep alive 10.
        var packet = new ConnectPacket
        {
            ProtocolVersion = MqttProtocolVersion.V311,
            ClientId = "c1",
            CleanSession = true,
            KeepAliveSeconds = 10,
            Will = new MqttWill("w", "bye"u8.ToArray()) { QoS = QualityOfService.AtLeastOnce },
            UserName = "u",
            Password = "p"u8.ToArray(),
        };
        Vector.RoundTrip(packet, MqttProtocolVersion.V311,
            "10 1C" /* fixed header: CONNECT, remaining length 28 */
            + "00 04 4D 51 54 54" /* protocol name "MQTT" */
            + "04" /* protocol level 4 */
            + "CE" /* flags: user name 1, password 1, will retain 0, will QoS 01, will 1, clean session 1, reserved 0 */
            + "00 0A" /* keep alive 10 */
            + "00 02 63 31" /* client id "c1" */
            + "00 01 77" /* will topic "w" */
            + "00 03 62 79 65" /* will message "bye" */
            + "00 01 75" /* user name "u" */
            + "00 01 70" /* password "p" */);
    }

    [Trait("spec", "MQTT-3.1.2-16")]
    [Trait("spec", "MQTT-3.1.2-18")]
    [Fact]
    public void Connect_v311_without_flags_and_with_empty_client_id_round_trips()
    {
        var packet = new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V311, ClientId = string.Empty, CleanSession = true, KeepAliveSeconds = 0 };
        Vector.RoundTrip(packet, MqttProtocolVersion.V311,
            "10 0C" /* fixed header: CONNECT, remaining length 12 */
            + "00 04 4D 51 54 54" /* "MQTT" */
            + "04" /* level 4 */
            + "02" /* flags: clean session */
            + "00 00" /* keep alive 0 */
            + "00 00" /* client id "" */);
    }

    [Fact]
    public void Connect_v500_spec_example_round_trips()
    {
        // Figure 3-8: "MQTT", version 5, flags CE, keep alive 10, properties: session expiry interval 10.
        var packet = new ConnectPacket
        {
            ProtocolVersion = MqttProtocolVersion.V500,
            ClientId = "c1",
            CleanSession = true,
            KeepAliveSeconds = 10,
            Properties = new MqttProperties { SessionExpiryInterval = 10 },
            Will = new MqttWill("w", "bye"u8.ToArray()) { QoS = QualityOfService.AtLeastOnce },
            UserName = "u",
            Password = "p"u8.ToArray(),
        };
        Vector.RoundTrip(packet, MqttProtocolVersion.V500,
            "10 23" /* fixed header: CONNECT, remaining length 35 */
            + "00 04 4D 51 54 54" /* "MQTT" */
            + "05" /* version 5 */
            + "CE" /* flags: user name, password, will QoS 1, will, clean start */
            + "00 0A" /* keep alive 10 */
            + "05" /* property length 5 */
            + "11 00 00 00 0A" /* session expiry interval 10 */
            + "00 02 63 31" /* client id "c1" */
            + "00" /* will property length 0 */
            + "00 01 77" /* will topic "w" */
            + "00 03 62 79 65" /* will payload "bye" */
            + "00 01 75" /* user name "u" */
            + "00 01 70" /* password "p" */);
    }

    [Trait("spec", "MQTT-3.1.3-1")]
    [Trait("spec", "MQTT-3.1.3-3")]
    [Trait("spec", "MQTT-3.1.3-4")]
    [Trait("spec", "MQTT-3.1.3-11")]
    [Trait("spec", "MQTT-3.1.3-12")]
    [Trait("spec", "MQTT-3.1.2-9")]
    [Trait("spec", "MQTT-3.1.2-17")]
    [Trait("spec", "MQTT-3.1.2-19")]
    [Fact]
    public void Connect_v500_with_connect_and_will_properties_round_trips()
    {
        var packet = new ConnectPacket
        {
            ProtocolVersion = MqttProtocolVersion.V500,
            ClientId = "c1",
            CleanSession = true,
            KeepAliveSeconds = 10,
            Properties = new MqttProperties
            {
                SessionExpiryInterval = 10,
                RequestProblemInformation = false,
                RequestResponseInformation = true,
                ReceiveMaximum = 20,
                TopicAliasMaximum = 5,
                UserProperties = [new("k", "v")],
                MaximumPacketSize = 4096,
            },
            Will = new MqttWill("w", "bye"u8.ToArray())
            {
                QoS = QualityOfService.AtLeastOnce,
                Retain = true,
                Properties = new MqttProperties
                {
                    PayloadFormatIndicator = PayloadFormat.Utf8,
                    MessageExpiryInterval = 60,
                    ContentType = "text",
                    ResponseTopic = "resp",
                    CorrelationData = new byte[] { 0x01, 0x02 },
                    WillDelayInterval = 5,
                    UserProperties = [new("a", "1"), new("a", "2")],
                },
            },
            UserName = "u",
            Password = "p"u8.ToArray(),
        };
        Vector.RoundTrip(packet, MqttProtocolVersion.V500,
            "10 66" /* fixed header: CONNECT, remaining length 102 */
            + "00 04 4D 51 54 54" /* "MQTT" */
            + "05" /* version 5 */
            + "EE" /* flags: user name 1, password 1, will retain 1, will QoS 01, will 1, clean start 1 */
            + "00 0A" /* keep alive 10 */
            + "1B" /* property length 27 */
            + "11 00 00 00 0A" /* session expiry interval 10 */
            + "17 00" /* request problem information 0 */
            + "19 01" /* request response information 1 */
            + "21 00 14" /* receive maximum 20 */
            + "22 00 05" /* topic alias maximum 5 */
            + "26 00 01 6B 00 01 76" /* user property k=v */
            + "27 00 00 10 00" /* maximum packet size 4096 */
            + "00 02 63 31" /* client id "c1" */
            + "2D" /* will property length 45 */
            + "01 01" /* payload format indicator: UTF-8 */
            + "02 00 00 00 3C" /* message expiry interval 60 */
            + "03 00 04 74 65 78 74" /* content type "text" */
            + "08 00 04 72 65 73 70" /* response topic "resp" */
            + "09 00 02 01 02" /* correlation data 01 02 */
            + "18 00 00 00 05" /* will delay interval 5 */
            + "26 00 01 61 00 01 31" /* user property a=1 */
            + "26 00 01 61 00 01 32" /* user property a=2 */
            + "00 01 77" /* will topic "w" */
            + "00 03 62 79 65" /* will payload "bye" */
            + "00 01 75" /* user name "u" */
            + "00 01 70" /* password "p" */);
    }

    [Fact]
    public void Connect_v500_password_without_user_name_round_trips()
    {
        // 5.0 dropped the rule of 3.1.1 [MQTT-3.1.2-22] that a password needs a user name.
        var packet = new ConnectPacket
        {
            ProtocolVersion = MqttProtocolVersion.V500,
            ClientId = "c1",
            CleanSession = true,
            KeepAliveSeconds = 10,
            Password = "pw"u8.ToArray(),
        };
        Vector.RoundTrip(packet, MqttProtocolVersion.V500,
            "10 13" /* fixed header: CONNECT, remaining length 19 */
            + "00 04 4D 51 54 54" /* "MQTT" */
            + "05" /* version 5 */
            + "42" /* flags: user name 0, password 1, clean start 1 */
            + "00 0A" /* keep alive 10 */
            + "00" /* property length 0 */
            + "00 02 63 31" /* client id "c1" */
            + "00 02 70 77" /* password "pw" */);
    }

    [Fact]
    public void Connect_v311_encoder_leaves_the_5_0_properties_off_the_wire()
    {
        var packet = new ConnectPacket
        {
            ProtocolVersion = MqttProtocolVersion.V311,
            ClientId = "c1",
            CleanSession = true,
            KeepAliveSeconds = 10,
            Properties = new MqttProperties { SessionExpiryInterval = 10, ReceiveMaximum = 20 },
            Will = new MqttWill("w", "bye"u8.ToArray()) { Properties = new MqttProperties { WillDelayInterval = 5 } },
        };
        Vector.EncodesTo(packet, MqttProtocolVersion.V311,
            "10 16" /* fixed header: CONNECT, remaining length 22 */
            + "00 04 4D 51 54 54" /* "MQTT" */
            + "04" /* level 4 */
            + "06" /* flags: will 1, clean session 1 */
            + "00 0A" /* keep alive 10, and no property length */
            + "00 02 63 31" /* client id "c1" */
            + "00 01 77" /* will topic "w", no will property length */
            + "00 03 62 79 65" /* will message "bye" */);
    }
}
