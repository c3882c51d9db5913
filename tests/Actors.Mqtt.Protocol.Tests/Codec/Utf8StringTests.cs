using System.Buffers;
using Actors.Mqtt.Protocol.Codec;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Tests.Support;

namespace Actors.Mqtt.Protocol.Tests.Codec;

/// <summary>UTF-8 encoded strings (section 1.5.4) wherever a packet carries one.</summary>
public class Utf8StringTests
{
    private const MqttProtocolVersion V500 = MqttProtocolVersion.V500;

    private static readonly string[] IllFormed =
    [
        "C0 AF", // overlong "/"
        "C0 80", // overlong U+0000 (modified UTF-8)
        "E0 80 AF", // overlong, three bytes
        "F0 80 80 AF", // overlong, four bytes
        "ED A0 80", // high surrogate U+D800
        "ED BF BF", // low surrogate U+DFFF
        "80", // lone continuation byte
        "61 BF 62", // continuation byte between letters
        "E2 82", // truncated U+20AC
        "61 E2 82", // truncated at the end
        "F4 90 80 80", // above U+10FFFF
        "FF", // never in UTF-8
        "F8 88 80 80 80", // old five-byte form
    ];

    public static TheoryData<string, MqttProtocolVersion> IllFormedEverywhere()
    {
        var data = new TheoryData<string, MqttProtocolVersion>();
        foreach (var version in new[] { MqttProtocolVersion.V310, MqttProtocolVersion.V311, V500 })
        {
            foreach (var bytes in IllFormed)
            {
                data.Add(bytes, version);
            }
        }

        return data;
    }

    public static TheoryData<string> IllFormedOnly() => [.. IllFormed];

    private static string NoProperties(MqttProtocolVersion version) => version == V500 ? "00" : string.Empty;

    /// <summary>A length-prefixed UTF-8 string with the given bytes.</summary>
    private static string Str(string utf8Hex) => $"{Wire.Bytes(utf8Hex).Length:X4} {utf8Hex}";

    private static byte[] PublishTo(MqttProtocolVersion version, string topicHex) =>
        Wire.Packet(0x30, $"{Str(topicHex)} {NoProperties(version)} 78");

    private static string NameAndLevel(MqttProtocolVersion version) => version switch
    {
        MqttProtocolVersion.V310 => "00 06 4D 51 49 73 64 70 03",
        MqttProtocolVersion.V311 => "00 04 4D 51 54 54 04",
        _ => "00 04 4D 51 54 54 05",
    };

    private static byte[] ConnectAs(MqttProtocolVersion version, string clientIdHex) =>
        Wire.Packet(0x10, $"{NameAndLevel(version)} 02 00 3C {NoProperties(version)} {Str(clientIdHex)}");

    [Theory]
    [MemberData(nameof(IllFormedEverywhere))]
    [Trait("spec", "MQTT-1.5.4-1")]
    public void MQTT_1_5_4_1_ill_formed_UTF8_in_a_topic_name_is_malformed(string utf8, MqttProtocolVersion version) =>
        Wire.Fails(PublishTo(version, $"61 2F {utf8}"), version, ReasonCode.MalformedPacket, "MQTT-1.5.4-1");

    [Theory]
    [MemberData(nameof(IllFormedEverywhere))]
    [Trait("spec", "MQTT-1.5.4-1")]
    public void MQTT_1_5_4_1_ill_formed_UTF8_in_a_client_id_is_malformed(string utf8, MqttProtocolVersion version) =>
        Wire.Fails(ConnectAs(version, utf8), version, ReasonCode.MalformedPacket, "MQTT-1.5.4-1");

    [Theory]
    [MemberData(nameof(IllFormedOnly))]
    [Trait("spec", "MQTT-1.5.4-1")]
    public void MQTT_1_5_4_1_ill_formed_UTF8_in_a_user_property_is_malformed(string utf8)
    {
        // In the name, then in the value, of a PUBLISH user property.
        var name = $"26 {Str(utf8)} {Str("76")}";
        var value = $"26 {Str("6B")} {Str(utf8)}";
        foreach (var property in new[] { name, value })
        {
            var length = Wire.Bytes(property).Length;
            Wire.Fails(Wire.Packet(0x30, $"00 01 61 {length:X2} {property} 78"), V500, ReasonCode.MalformedPacket, "MQTT-1.5.4-1");
        }
    }

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    [Trait("spec", "MQTT-1.5.4-1")]
    [Trait("spec", "MQTT-3.8.3-1")]
    [Trait("spec", "MQTT-3.10.3-1")]
    public void MQTT_1_5_4_1_ill_formed_UTF8_in_other_strings_is_malformed(MqttProtocolVersion version)
    {
        var props = NoProperties(version);

        // User name; will topic; SUBSCRIBE and UNSUBSCRIBE filters; protocol name.
        Wire.Fails(Wire.Packet(0x10, $"{NameAndLevel(version)} 82 00 3C {props} 00 01 63 00 02 C0 AF"), version, ReasonCode.MalformedPacket, "MQTT-1.5.4-1");
        Wire.Fails(Wire.Packet(0x10, $"{NameAndLevel(version)} 06 00 3C {props} 00 01 63 {props} 00 02 ED A0 00 01 78"), version, ReasonCode.MalformedPacket, "MQTT-1.5.4-1");
        Wire.Fails(Wire.Packet(0x82, $"00 01 {props} 00 01 80 00"), version, ReasonCode.MalformedPacket, "MQTT-1.5.4-1");
        Wire.Fails(Wire.Packet(0xA2, $"00 01 {props} 00 02 E2 82"), version, ReasonCode.MalformedPacket, "MQTT-1.5.4-1");
        Wire.Fails(Wire.Packet(0x10, "00 04 4D 51 54 C0 04 02 00 3C 00 01 63"), version, ReasonCode.MalformedPacket, "MQTT-1.5.4-1");
    }

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    [Trait("spec", "MQTT-1.5.4-1")]
    public void MQTT_1_5_4_1_well_formed_multibyte_UTF8_decodes(MqttProtocolVersion version)
    {
        // é, €, 😀 and the last code point U+10FFFF.
        var packet = (PublishPacket)PacketAssert.Decode(PublishTo(version, "C3 A9 E2 82 AC F0 9F 98 80 F4 8F BF BF"), version);
        Assert.Equal("\u00e9\u20ac\U0001F600\U0010FFFF", packet.Topic);
    }

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    [Trait("spec", "MQTT-1.5.4-2")]
    public void MQTT_1_5_4_2_U0000_in_a_string_is_malformed(MqttProtocolVersion version)
    {
        Wire.Fails(PublishTo(version, "61 00 62"), version, ReasonCode.MalformedPacket, "MQTT-1.5.4-2");
        Wire.Fails(PublishTo(version, "00"), version, ReasonCode.MalformedPacket, "MQTT-1.5.4-2");
        Wire.Fails(ConnectAs(version, "63 00"), version, ReasonCode.MalformedPacket, "MQTT-1.5.4-2");
        Wire.Fails(Wire.Packet(0x82, $"00 01 {NoProperties(version)} 00 03 61 2F 00 00"), version, ReasonCode.MalformedPacket, "MQTT-1.5.4-2");
    }

    [Fact]
    [Trait("spec", "MQTT-1.5.4-2")]
    public void MQTT_1_5_4_2_U0000_in_a_user_property_is_malformed()
    {
        Wire.Fails(Wire.Packet(0x30, "00 01 61 07 26 00 01 00 00 01 76 78"), V500, ReasonCode.MalformedPacket, "MQTT-1.5.4-2");
        Wire.Fails(Wire.Packet(0x30, "00 01 61 07 26 00 01 6B 00 01 00 78"), V500, ReasonCode.MalformedPacket, "MQTT-1.5.4-2");
    }

    [Theory]
    [MemberData(nameof(Wire.AllVersions), MemberType = typeof(Wire))]
    [Trait("spec", "MQTT-1.5.4-3")]
    public void MQTT_1_5_4_3_leading_U_FEFF_is_kept(MqttProtocolVersion version)
    {
        var topic = PublishTo(version, "EF BB BF 61");
        Assert.Equal("\uFEFFa", ((PublishPacket)PacketAssert.Decode(topic, version)).Topic);

        // Through the per-connection topic cache as well, twice so the second comes from the cache.
        var cache = new Utf8StringCache();
        for (var i = 0; i < 2; i++)
        {
            var sequence = new ReadOnlySequence<byte>(topic);
            Assert.Equal(OperationStatus.Done, MqttPacketDecoder.TryRead(ref sequence, version, int.MaxValue, out var packet, out _, cache));
            Assert.Equal("\uFEFFa", ((PublishPacket)packet!).Topic);
        }

        Assert.Equal("\uFEFFc", ((ConnectPacket)PacketAssert.Decode(ConnectAs(version, "EF BB BF 63"), version)).ClientId);
    }

    [Fact]
    [Trait("spec", "MQTT-1.5.4-3")]
    public void MQTT_1_5_4_3_leading_U_FEFF_is_kept_in_a_user_property()
    {
        var packet = (PublishPacket)PacketAssert.Decode(Wire.Packet(0x30, "00 01 61 0A 26 00 01 6B 00 04 EF BB BF 76 78"), V500);
        Assert.Equal("\uFEFFv", Assert.Single(packet.Properties!.UserProperties).Value);
    }
}
