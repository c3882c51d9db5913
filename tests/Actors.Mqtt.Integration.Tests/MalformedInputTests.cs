using System.Text;
using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using MQTTnet.Protocol;

namespace Actors.Mqtt.Integration.Tests;

/// <summary>
/// Bad packets, written byte by byte, on real sockets: each on a connection of its own, each closes that connection
/// (an MQTT 5.0 client that got its CONNACK is told why first), and the broker goes on serving everyone else.
/// </summary>
public class MalformedInputTests(BrokerFixture broker, SmallLimitsBroker small) : IClassFixture<BrokerFixture>, IClassFixture<SmallLimitsBroker>
{
    private static readonly BadPacket[] AfterConnect =
    [
        // Fixed header.
        new("packet type 0", "00 00", "00 00", ReasonCode.MalformedPacket),
        new("remaining length of 5 bytes", "30 FF FF FF FF 01", "30 FF FF FF FF 01", ReasonCode.MalformedPacket),
        new("remaining length not minimal (0 in 2 bytes)", "C0 80 00", "C0 80 00", ReasonCode.MalformedPacket),
        new("SUBSCRIBE with reserved flags 0000", "80 08 00 01 00 03 61 2F 62 00", "80 09 00 01 00 00 03 61 2F 62 00", ReasonCode.MalformedPacket),
        new("UNSUBSCRIBE with reserved flags 0000", "A0 05 00 01 00 01 61", "A0 06 00 01 00 00 01 61", ReasonCode.MalformedPacket),
        new("PUBREL with reserved flags 0000", "60 02 00 01", "60 02 00 01", ReasonCode.MalformedPacket),
        new("PINGREQ with a body", "C0 01 00", "C0 01 00", ReasonCode.MalformedPacket),
        new("AUTH before MQTT 5.0", "F0 00", null, ReasonCode.MalformedPacket),

        // PUBLISH.
        new("PUBLISH with QoS 3", "36 07 00 03 61 2F 62 00 01", "36 08 00 03 61 2F 62 00 01 00", ReasonCode.MalformedPacket),
        new("PUBLISH QoS 0 with DUP", "38 05 00 03 61 2F 62", "38 06 00 03 61 2F 62 00", ReasonCode.MalformedPacket),
        new("PUBLISH to a/#", "30 05 00 03 61 2F 23", "30 06 00 03 61 2F 23 00", ReasonCode.TopicNameInvalid),
        new("PUBLISH to a/+", "30 05 00 03 61 2F 2B", "30 06 00 03 61 2F 2B 00", ReasonCode.TopicNameInvalid),
        new("PUBLISH to an empty topic without an alias", "30 02 00 00", "30 03 00 00 00", ReasonCode.ProtocolError),
        new("PUBLISH topic that is not UTF-8", "30 04 00 02 C3 28", "30 05 00 02 C3 28 00", ReasonCode.MalformedPacket),
        new("PUBLISH topic with U+0000", "30 05 00 03 61 00 62", "30 06 00 03 61 00 62 00", ReasonCode.MalformedPacket),
        new("PUBLISH QoS 1 with packet identifier 0", "32 07 00 03 61 2F 62 00 00", "32 08 00 03 61 2F 62 00 00 00", ReasonCode.ProtocolError),
        new("PUBLISH body shorter than its topic length", "30 04 00 05 61 2F", "30 04 00 05 61 2F", ReasonCode.MalformedPacket),
        new("PUBLISH with session expiry interval", null, "30 0B 00 03 61 2F 62 05 11 00 00 00 0A", ReasonCode.MalformedPacket),
        new("PUBLISH with payload format indicator twice", null, "30 0A 00 03 61 2F 62 04 01 00 01 00", ReasonCode.ProtocolError),
        new("PUBLISH with unknown property 0x05", null, "30 08 00 03 61 2F 62 02 05 00", ReasonCode.MalformedPacket),
        new("PUBLISH with a subscription identifier", null, "30 08 00 03 61 2F 62 02 0B 01", ReasonCode.ProtocolError),
        new("PUBLISH with topic alias 0", null, "30 09 00 03 61 2F 62 03 23 00 00", ReasonCode.TopicAliasInvalid),
        new("PUBLISH with topic alias above the maximum", null, "30 09 00 03 61 2F 62 03 23 00 0B", ReasonCode.TopicAliasInvalid),
        new("PUBLISH with an alias never set", null, "30 06 00 00 03 23 00 01", ReasonCode.ProtocolError),
        new("PUBLISH payload marked UTF-8 that is not", null, "30 09 00 03 61 2F 62 02 01 01 FF", ReasonCode.PayloadFormatInvalid),

        // Acknowledgements.
        new("PUBACK with reason code 0x05", "40 03 00 01 05", "40 03 00 01 05", ReasonCode.ProtocolError),
        new("PUBACK with packet identifier 0", "40 02 00 00", "40 02 00 00", ReasonCode.ProtocolError),

        // SUBSCRIBE and UNSUBSCRIBE.
        new("SUBSCRIBE without a filter", "82 02 00 01", "82 03 00 01 00", ReasonCode.ProtocolError),
        new("SUBSCRIBE to a/#/b", "82 0A 00 01 00 05 61 2F 23 2F 62 00", "82 0B 00 01 00 00 05 61 2F 23 2F 62 00", ReasonCode.TopicFilterInvalid),
        new("SUBSCRIBE with QoS 3", "82 08 00 01 00 03 61 2F 62 03", "82 09 00 01 00 00 03 61 2F 62 03", ReasonCode.ProtocolError),
        new("SUBSCRIBE with reserved option bits", "82 08 00 01 00 03 61 2F 62 C1", "82 09 00 01 00 00 03 61 2F 62 C1", ReasonCode.MalformedPacket),
        new("SUBSCRIBE shared with no local", null, "82 10 00 01 00 00 0A 24 73 68 61 72 65 2F 67 2F 61 04", ReasonCode.ProtocolError),
        new("UNSUBSCRIBE without a filter", "A2 02 00 01", "A2 03 00 01 00", ReasonCode.ProtocolError),

        // Session.
        new("CONNECT twice", Connect(MqttProtocolVersion.V311, "second-connect"), Connect(MqttProtocolVersion.V500, "second-connect"), ReasonCode.ProtocolError),
        new("CONNACK from a client", "20 02 00 00", "20 03 00 00 00", ReasonCode.ProtocolError),
        new("SUBACK from a client", "90 03 00 01 00", "90 04 00 01 00 00", ReasonCode.ProtocolError),
        new("UNSUBACK from a client", "B0 02 00 01", "B0 04 00 01 00 00", ReasonCode.ProtocolError),
        new("PINGRESP from a client", "D0 00", "D0 00", ReasonCode.ProtocolError),
        new("DISCONNECT setting a session expiry the session did not have", null, "E0 07 00 05 11 00 00 00 0A", ReasonCode.ProtocolError),
    ];

    private static readonly BadPacket[] OverSmallLimits =
    [
        // Only the fixed header of a 16 KiB PUBLISH: the broker must refuse it without waiting for the body.
        new("PUBLISH header announcing more than the maximum packet size", "30 FF 7F", "30 FF 7F", ReasonCode.PacketTooLarge),

        // Three QoS 2 messages never released, where the broker allows two.
        new("QoS 2 beyond Receive Maximum", null, "34 08 00 03 61 2F 62 00 01 00 34 08 00 03 61 2F 62 00 02 00 34 08 00 03 61 2F 62 00 03 00", ReasonCode.ReceiveMaximumExceeded),
    ];

    private static readonly BadConnect[] FirstPackets =
    [
        new("PUBLISH before CONNECT", "30 05 00 03 61 2F 62", MqttProtocolVersion.V311, null),
        new("PINGREQ before CONNECT", "C0 00", MqttProtocolVersion.V500, null),
        new("protocol name MQTX", "10 0C 00 04 4D 51 54 58 04 02 00 3C 00 00", MqttProtocolVersion.V311, null),
        new("protocol name MQTT level 6", "10 0C 00 04 4D 51 54 54 06 02 00 3C 00 00", MqttProtocolVersion.V311, ReasonCode.UnsupportedProtocolVersion),
        new("MQTT 3.1.1 CONNECT with the reserved flag", "10 0C 00 04 4D 51 54 54 04 03 00 3C 00 00", MqttProtocolVersion.V311, null),
        new("MQTT 3.1.1 CONNECT with a password but no user name", "10 0C 00 04 4D 51 54 54 04 42 00 3C 00 00", MqttProtocolVersion.V311, null),
        new("MQTT 5.0 CONNECT with the reserved flag", "10 0D 00 04 4D 51 54 54 05 03 00 3C 00 00 00", MqttProtocolVersion.V500, ReasonCode.MalformedPacket),
        new("MQTT 5.0 CONNECT with will QoS 3", "10 14 00 04 4D 51 54 54 05 1E 00 3C 00 00 00 00 00 01 61 00 01 62", MqttProtocolVersion.V500, ReasonCode.MalformedPacket),
        new("MQTT 5.0 CONNECT with receive maximum twice", "10 13 00 04 4D 51 54 54 05 02 00 3C 06 21 00 0A 21 00 0A 00 00", MqttProtocolVersion.V500, ReasonCode.ProtocolError),
        new("MQTT 5.0 CONNECT with bytes after its payload", "10 0E 00 04 4D 51 54 54 05 02 00 3C 00 00 00 FF", MqttProtocolVersion.V500, ReasonCode.MalformedPacket),
    ];

    /// <summary>How many distinct bad packets (by their bytes) this class sends.</summary>
    public static int DistinctBadPackets =>
        AfterConnect.Concat(OverSmallLimits).SelectMany(p => new[] { p.V311, p.V500 })
            .Concat(FirstPackets.Select(p => p.Hex))
            .OfType<string>().Distinct(StringComparer.Ordinal).Count();

    public static TheoryData<string, MqttProtocolVersion> AfterConnectCases() => Rows(AfterConnect);

    public static TheoryData<string, MqttProtocolVersion> OverSmallLimitsCases() => Rows(OverSmallLimits);

    public static TheoryData<string> FirstPacketCases() => new(FirstPackets.Select(p => p.Name));

    [Theory]
    [MemberData(nameof(AfterConnectCases))]
    [Trait("spec", "MQTT-4.13.2-1")]
    [Trait("spec", "MQTT-1.5.4-1")]
    [Trait("spec", "MQTT-1.5.4-2")]
    [Trait("spec", "MQTT-1.5.5-1")]
    [Trait("spec", "MQTT-2.1.3-1")]
    [Trait("spec", "MQTT-2.2.1-3")]
    [Trait("spec", "MQTT-3.1.0-2")]
    [Trait("spec", "MQTT-3.3.1-2")]
    [Trait("spec", "MQTT-3.3.1-4")]
    [Trait("spec", "MQTT-3.3.2-2")]
    [Trait("spec", "MQTT-3.3.2-8")]
    [Trait("spec", "MQTT-3.3.2-9")]
    [Trait("spec", "MQTT-3.3.4-6")]
    [Trait("spec", "MQTT-3.4.2-1")]
    [Trait("spec", "MQTT-3.6.1-1")]
    [Trait("spec", "MQTT-3.8.1-1")]
    [Trait("spec", "MQTT-3.8.3-2")]
    [Trait("spec", "MQTT-3.8.3-4")]
    [Trait("spec", "MQTT-3.8.3-5")]
    [Trait("spec", "MQTT-3.10.1-1")]
    [Trait("spec", "MQTT-3.10.3-2")]
    [Trait("spec", "MQTT-4.7.1-1")]
    public async Task MQTT_4_13_1_1_a_bad_packet_after_CONNACK_closes_the_connection_after_a_DISCONNECT_with_its_reason(string packet, MqttProtocolVersion version)
    {
        var bad = AfterConnect.Single(p => p.Name == packet);
        await ExpectRefusedAsync(broker.Port, bad, version);
    }

    [Theory]
    [MemberData(nameof(OverSmallLimitsCases))]
    [Trait("spec", "MQTT-4.13.2-1")]
    [Trait("spec", "MQTT-3.3.4-7")]
    public async Task MQTT_4_13_1_1_a_packet_over_the_brokers_limits_closes_the_connection_after_a_DISCONNECT_with_its_reason(string packet, MqttProtocolVersion version)
    {
        var bad = OverSmallLimits.Single(p => p.Name == packet);
        await ExpectRefusedAsync(small.Port, bad, version);
    }

    [Fact]
    public async Task The_CONNACK_announces_the_maximum_packet_size_that_a_bigger_header_is_refused_by()
    {
        await using var raw = await RawClient.OpenAsync(small.Port, MqttProtocolVersion.V500);
        await raw.SendHexAsync(Connect(MqttProtocolVersion.V500, ClientId()));
        var connAck = Assert.IsType<ConnAckPacket>(await raw.ReceiveAsync());
        Assert.Equal((uint)SmallLimitsBroker.MaxPacketSize, connAck.Properties?.MaximumPacketSize);

        // One byte over the maximum, announced and never sent.
        await raw.SendHexAsync("30 FE 03");
        var disconnect = Assert.IsType<DisconnectPacket>(Assert.Single(await raw.ExpectClosedAsync()));
        Assert.Equal(ReasonCode.PacketTooLarge, disconnect.ReasonCode);
    }

    [Theory]
    [MemberData(nameof(FirstPacketCases))]
    [Trait("spec", "MQTT-3.14.0-1")]
    [Trait("spec", "MQTT-3.1.0-1")]
    [Trait("spec", "MQTT-3.1.2-1")]
    [Trait("spec", "MQTT-3.1.2-2")]
    [Trait("spec", "MQTT-3.1.2-3")]
    [Trait("spec", "MQTT-3.1.2-12")]
    [Trait("spec", "MQTT-4.13.1-1")]
    public async Task MQTT_4_13_2_1_a_bad_first_packet_gets_at_most_a_refusing_CONNACK_and_never_a_DISCONNECT(string packet)
    {
        var bad = FirstPackets.Single(p => p.Name == packet);
        await ExpectRefusedAsync(broker.Port, bad);
    }

    [Fact]
    public void There_are_more_than_twenty_distinct_bad_packets() =>
        Assert.True(DistinctBadPackets > 20, $"{DistinctBadPackets} distinct bad packets");

    /// <summary>
    /// A publisher and a subscriber keep a numbered QoS 1 stream going while every bad packet of this class hits the
    /// same broker; the subscriber ends with every number once, in order.
    /// </summary>
    [Fact]
    public async Task Bad_clients_do_not_disturb_a_healthy_publisher_and_subscriber()
    {
        var topic = $"healthy/{Guid.NewGuid():N}";
        var received = new List<int>();
        var count = 0;
        var sent = 0;
        var allIn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var subscriber = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V500);
        subscriber.Client.ApplicationMessageReceivedAsync += e =>
        {
            lock (received)
            {
                received.Add(int.Parse(Encoding.ASCII.GetString(e.ApplicationMessage.Payload), System.Globalization.CultureInfo.InvariantCulture));
                if (Volatile.Read(ref count) > 0 && received.Count >= count)
                {
                    allIn.TrySetResult();
                }
            }

            return Task.CompletedTask;
        };
        await subscriber.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce);
        await using var publisher = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V311);

        using var stop = new CancellationTokenSource();
        var stream = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var result = await publisher.PublishAsync(topic, sent.ToString(System.Globalization.CultureInfo.InvariantCulture), MqttQualityOfServiceLevel.AtLeastOnce);
                Assert.True(result.IsSuccess, result.ReasonString);
                sent++;
            }
        });

        foreach (var bad in AfterConnect)
        {
            foreach (var version in Versions(bad))
            {
                await ExpectRefusedAsync(broker.Port, bad, version);
            }
        }

        foreach (var bad in FirstPackets)
        {
            await ExpectRefusedAsync(broker.Port, bad);
        }

        await stop.CancelAsync();
        await stream;
        Volatile.Write(ref count, sent);
        lock (received)
        {
            if (received.Count >= sent)
            {
                allIn.TrySetResult();
            }
        }

        await allIn.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(sent > 0);
        Assert.True(subscriber.Client.IsConnected && publisher.Client.IsConnected);
        lock (received)
        {
            Assert.Equal(Enumerable.Range(0, sent), received);
        }
    }

    private static async Task ExpectRefusedAsync(int port, BadPacket bad, MqttProtocolVersion version)
    {
        var hex = (version == MqttProtocolVersion.V500 ? bad.V500 : bad.V311)!;
        await using var raw = await RawClient.OpenAsync(port, version);
        await raw.SendHexAsync(Connect(version, ClientId()));
        var connAck = Assert.IsType<ConnAckPacket>(await raw.ReceiveAsync());
        Assert.Equal(ReasonCode.Success, connAck.ReasonCode);

        await raw.SendHexAsync(hex);
        var after = await raw.ExpectClosedAsync();

        if (version != MqttProtocolVersion.V500)
        {
            // Before 5.0 there is no way to say why: the connection just closes.
            Assert.True(after.Count == 0, $"{bad.Name}: expected a bare close, got {string.Join(", ", after)}");
            return;
        }

        Assert.True(after.Count > 0, $"{bad.Name}: closed without a DISCONNECT");
        var disconnect = Assert.IsType<DisconnectPacket>(after[^1]);
        Assert.True(bad.Reason == disconnect.ReasonCode, $"{bad.Name}: DISCONNECT 0x{(byte)disconnect.ReasonCode:X2} {disconnect.ReasonCode}, expected 0x{(byte)bad.Reason:X2} {bad.Reason}");

        // Only answers to the valid packets sent before the bad one may come first (PUBREC for QoS 2).
        Assert.All(after.SkipLast(1), p => Assert.IsType<PubRecPacket>(p));
    }

    private static async Task ExpectRefusedAsync(int port, BadConnect bad)
    {
        await using var raw = await RawClient.OpenAsync(port, bad.Version);
        await raw.SendHexAsync(bad.Hex);
        var after = await raw.ExpectClosedAsync();

        if (bad.ConnAck is not { } reason)
        {
            Assert.True(after.Count == 0, $"{bad.Name}: expected a bare close, got {string.Join(", ", after)}");
            return;
        }

        // A CONNACK that refuses, and nothing else: no DISCONNECT before a successful CONNACK [MQTT-3.14.0-1].
        var connAck = Assert.IsType<ConnAckPacket>(Assert.Single(after));
        Assert.True(reason == connAck.ReasonCode, $"{bad.Name}: CONNACK {connAck.ReasonCode}, expected {reason}");
        Assert.False(connAck.SessionPresent);
    }

    private static TheoryData<string, MqttProtocolVersion> Rows(IEnumerable<BadPacket> packets)
    {
        var rows = new TheoryData<string, MqttProtocolVersion>();
        foreach (var packet in packets)
        {
            foreach (var version in Versions(packet))
            {
                rows.Add(packet.Name, version);
            }
        }

        return rows;
    }

    private static IEnumerable<MqttProtocolVersion> Versions(BadPacket packet)
    {
        if (packet.V311 is not null)
        {
            yield return MqttProtocolVersion.V311;
        }

        if (packet.V500 is not null)
        {
            yield return MqttProtocolVersion.V500;
        }
    }

    private static string ClientId() => "bad-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>A valid CONNECT, clean session, keep alive 60 s, no properties.</summary>
    private static string Connect(MqttProtocolVersion version, string clientId)
    {
        var id = Encoding.ASCII.GetBytes(clientId);
        var body = new List<byte> { 0x00, 0x04, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', (byte)version, 0x02, 0x00, 0x3C };
        if (version == MqttProtocolVersion.V500)
        {
            body.Add(0x00);
        }

        body.AddRange([(byte)(id.Length >> 8), (byte)id.Length, .. id]);
        return Convert.ToHexString([0x10, (byte)body.Count, .. body]);
    }

    private sealed record BadPacket(string Name, string? V311, string? V500, ReasonCode Reason);

    private sealed record BadConnect(string Name, string Hex, MqttProtocolVersion Version, ReasonCode? ConnAck);
}
