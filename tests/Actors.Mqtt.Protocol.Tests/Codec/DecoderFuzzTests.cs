using System.Buffers;
using Actors.Mqtt.Protocol.Codec;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Actors.Mqtt.Protocol.Tests.Support;
using CsCheck;

namespace Actors.Mqtt.Protocol.Tests.Codec;

/// <summary>No input makes the decoder throw, and every refusal carries one of the reason codes a decoder may give.</summary>
public class DecoderFuzzTests
{
    private const int Iterations = 10_000;

    private static readonly MqttProtocolVersion[] Versions =
        [MqttProtocolVersion.V310, MqttProtocolVersion.V311, MqttProtocolVersion.V500];

    private static readonly HashSet<ReasonCode> DecoderReasons =
    [
        ReasonCode.MalformedPacket,
        ReasonCode.ProtocolError,
        ReasonCode.UnsupportedProtocolVersion,
        ReasonCode.TopicFilterInvalid,
        ReasonCode.TopicNameInvalid,
        ReasonCode.TopicAliasInvalid,
        ReasonCode.PacketTooLarge,
        ReasonCode.PayloadFormatInvalid,
    ];

    /// <summary>Random bodies behind a well-formed fixed header: the first byte of each type, the correct remaining length.</summary>
    private static readonly Gen<byte[]> Framed =
        Gen.Select(Gen.Int[1, 15], Gen.Int[0, 15], Gen.Bool, Gen.Byte.Array[0, 300])
            .Select((type, randomFlags, useRandomFlags, body) =>
            {
                var flags = useRandomFlags ? randomFlags : type switch
                {
                    3 => randomFlags & 0x0B, // PUBLISH: DUP, QoS 0 or 1, RETAIN
                    6 or 8 or 10 => 0x2,
                    _ => 0x0,
                };
                return Frame((byte)((type << 4) | flags), body);
            });

    private static readonly Gen<byte[]> Input = Gen.Frequency((1, Gen.Byte.Array[0, 300]), (2, Framed));

    private static readonly byte[][] Seeds = [.. Versions.SelectMany(ValidPackets)];

    /// <summary>A valid packet with bytes flipped, cut short, or a body byte removed or added behind a corrected header.</summary>
    private static readonly Gen<byte[]> Mutated =
        Gen.Select(Gen.Int[0, Seeds.Length - 1], Gen.Int[0, 3], Gen.Int.Array[1, 4], Gen.Byte.Array[4])
            .Select((seed, mode, positions, values) =>
            {
                var bytes = (byte[])Seeds[seed].Clone();
                var position = (int)((uint)positions[0] % bytes.Length);
                switch (mode)
                {
                    case 0:
                        for (var i = 0; i < positions.Length; i++)
                        {
                            bytes[(int)((uint)positions[i] % bytes.Length)] = values[i];
                        }

                        return bytes;
                    case 1:
                        return bytes[..position];
                    default:
                        var bodyStart = HeaderLength(bytes);
                        var body = bytes[bodyStart..].ToList();
                        var at = body.Count == 0 ? 0 : (int)((uint)positions[0] % body.Count);
                        if (mode == 2 && body.Count > 0)
                        {
                            body.RemoveAt(at);
                        }
                        else
                        {
                            body.Insert(at, values[0]);
                        }

                        return Frame(bytes[0], [.. body]);
                }
            });

    [Fact]
    public void Random_bytes_never_throw() =>
        Gen.Select(Input, Gen.Int[0, 2], Gen.Bool, Gen.Int[2, 400])
            .Sample(
                (bytes, version, useCache, maximumPacketSize) =>
                    DecodeAll(bytes, Versions[version], useCache ? new Utf8StringCache(4) : null, maximumPacketSize),
                iter: Iterations,
                print: t => Convert.ToHexString(t.Item1) + $" {Versions[t.Item2]}");

    [Fact]
    public void Mutated_valid_packets_never_throw() =>
        Gen.Select(Mutated, Gen.Int[0, 2], Gen.Bool)
            .Sample(
                (bytes, version, useCache) => DecodeAll(bytes, Versions[version], useCache ? new Utf8StringCache(4) : null, int.MaxValue),
                iter: Iterations,
                print: t => Convert.ToHexString(t.Item1) + $" {Versions[t.Item2]}");

    [Fact]
    public void Input_split_into_segments_decodes_as_in_one_piece() =>
        Gen.Select(Gen.Frequency((1, Input), (1, Mutated)), Gen.Int[0, 2], Gen.Int[0, 400], Gen.Int[0, 400])
            .Sample(
                (bytes, version, cut1, cut2) =>
                {
                    var v = Versions[version];
                    var whole = new ReadOnlySequence<byte>(bytes);
                    var pieces = SequenceBuilder.Split(bytes, Math.Min(cut1, bytes.Length), Math.Min(cut2, bytes.Length));
                    var expected = MqttPacketDecoder.TryRead(ref whole, v, int.MaxValue, out var expectedPacket, out var expectedError);
                    var actual = MqttPacketDecoder.TryRead(ref pieces, v, int.MaxValue, out var actualPacket, out var actualError);
                    Assert.Equal(expected, actual);
                    Assert.Equal(expectedError, actualError);
                    Assert.Equal(whole.Length, pieces.Length);
                    Assert.Equal(PacketAssert.Describe(expectedPacket), PacketAssert.Describe(actualPacket));
                },
                iter: Iterations,
                print: t => Convert.ToHexString(t.Item1) + $" {Versions[t.Item2]} cut at {t.Item3}, {t.Item4}");

    [Fact]
    public void Every_seed_packet_decodes_unchanged()
    {
        // The mutation test starts from these; they must be valid, or it would only ever see refusals.
        Assert.True(Seeds.Length >= 30);
        foreach (var version in Versions)
        {
            foreach (var bytes in ValidPackets(version))
            {
                var packet = PacketAssert.Decode(bytes, version);
                Assert.Equal(bytes, PacketAssert.Encode(packet, version));
            }
        }
    }

    private static void DecodeAll(byte[] bytes, MqttProtocolVersion version, Utf8StringCache? cache, int maximumPacketSize)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);
        while (true)
        {
            var before = buffer.Length;
            var status = MqttPacketDecoder.TryRead(ref buffer, version, maximumPacketSize, out var packet, out var error, cache);
            switch (status)
            {
                case OperationStatus.Done:
                    Assert.NotNull(packet);
                    Assert.True(buffer.Length < before);
                    if (buffer.Length == 0)
                    {
                        return;
                    }

                    break;
                case OperationStatus.NeedMoreData:
                    Assert.Equal(before, buffer.Length);
                    return;
                case OperationStatus.InvalidData:
                    Assert.True(DecoderReasons.Contains(error.ReasonCode), $"unexpected reason {error}");
                    Assert.False(string.IsNullOrEmpty(error.Message));
                    return;
                default:
                    Assert.Fail($"status {status}");
                    return;
            }
        }
    }

    private static byte[] Frame(byte header, byte[] body)
    {
        var length = new byte[4];
        var lengthBytes = VariableByteInteger.Write(length, body.Length);
        return [header, .. length.AsSpan(0, lengthBytes), .. body];
    }

    private static int HeaderLength(byte[] packet)
    {
        var i = 1;
        while (i < packet.Length && (packet[i] & 0x80) != 0)
        {
            i++;
        }

        return Math.Min(i + 1, packet.Length);
    }

    private static IEnumerable<byte[]> ValidPackets(MqttProtocolVersion version)
    {
        var v5 = version == MqttProtocolVersion.V500;
        var publishProperties = v5
            ? new MqttProperties
            {
                PayloadFormatIndicator = PayloadFormat.Utf8,
                MessageExpiryInterval = 60,
                ContentType = "text/plain",
                ResponseTopic = "r/1",
                CorrelationData = new byte[] { 1, 2 },
                SubscriptionIdentifiers = [1, 300],
                TopicAlias = 3,
                UserProperties = [new("k", "v"), new("k", "w")],
            }
            : null;
        MqttPacket[] packets =
        [
            new ConnectPacket
            {
                ProtocolVersion = version,
                ClientId = "client-1",
                KeepAliveSeconds = 30,
                UserName = "user",
                Password = new byte[] { 0x70, 0x77 },
                Will = new MqttWill("will/t\u00e9", new byte[] { 0x62, 0x79, 0x65 })
                {
                    QoS = QualityOfService.AtLeastOnce,
                    Retain = true,
                    Properties = v5 ? new MqttProperties { WillDelayInterval = 5, ContentType = "c" } : null,
                },
                Properties = v5
                    ? new MqttProperties { SessionExpiryInterval = 10, ReceiveMaximum = 5, MaximumPacketSize = 1000, RequestProblemInformation = true, AuthenticationMethod = "m", AuthenticationData = new byte[] { 9 } }
                    : null,
            },
            new ConnectPacket { ProtocolVersion = version, ClientId = string.Empty },
            new ConnAckPacket { SessionPresent = version != MqttProtocolVersion.V310, Properties = v5 ? new MqttProperties { AssignedClientIdentifier = "x", ServerKeepAlive = 20, MaximumQoS = QualityOfService.AtLeastOnce } : null },
            new PublishPacket { Topic = "a/b", Payload = "hello"u8.ToArray() },
            new PublishPacket { Topic = "sensors/\u20ac/temp", Payload = "21.5"u8.ToArray(), QoS = QualityOfService.AtLeastOnce, PacketId = 7, Retain = true, Properties = publishProperties },
            new PublishPacket { Topic = "q2", QoS = QualityOfService.ExactlyOnce, PacketId = 65535, Dup = true },
            new PubAckPacket { PacketId = 7 },
            new PubRecPacket { PacketId = 8, ReasonCode = v5 ? ReasonCode.NoMatchingSubscribers : ReasonCode.Success },
            new PubRelPacket { PacketId = 8, Properties = v5 ? new MqttProperties { ReasonString = "ok" } : null },
            new PubCompPacket { PacketId = 8 },
            new SubscribePacket
            {
                PacketId = 9,
                Subscriptions =
                [
                    new MqttSubscription("a/+/c") { MaximumQoS = QualityOfService.AtLeastOnce },
                    new MqttSubscription(v5 ? "$share/g/x/#" : "x/#") { MaximumQoS = QualityOfService.ExactlyOnce, RetainAsPublished = v5, RetainHandling = v5 ? RetainHandling.DoNotSend : RetainHandling.SendAtSubscribe },
                ],
                Properties = v5 ? new MqttProperties { SubscriptionIdentifiers = [12], UserProperties = [new("a", "b")] } : null,
            },
            new SubAckPacket { PacketId = 9, ReasonCodes = [ReasonCode.GrantedQoS1, ReasonCode.UnspecifiedError] },
            new UnsubscribePacket { PacketId = 10, TopicFilters = ["a/+/c", "#"] },
            new UnsubAckPacket { PacketId = 10, ReasonCodes = v5 ? [ReasonCode.Success, ReasonCode.NoSubscriptionExisted] : [] },
            PingReqPacket.Instance,
            PingRespPacket.Instance,
            new DisconnectPacket { ReasonCode = v5 ? ReasonCode.DisconnectWithWillMessage : ReasonCode.NormalDisconnection, Properties = v5 ? new MqttProperties { SessionExpiryInterval = 0, ReasonString = "bye" } : null },
        ];
        foreach (var packet in packets)
        {
            yield return PacketAssert.Encode(packet, version);
        }

        if (v5)
        {
            yield return PacketAssert.Encode(new AuthPacket { ReasonCode = ReasonCode.ContinueAuthentication, Properties = new MqttProperties { AuthenticationMethod = "m", AuthenticationData = new byte[] { 1 } } }, version);
        }
    }
}
