using System.Buffers;
using Actors.Mqtt.Protocol.Codec;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Tests.Support;
using CsCheck;

namespace Actors.Mqtt.Protocol.Tests.Codec;

/// <summary>
/// Encoder and decoder against each other on random packets that are valid for the version: every packet must
/// survive the trip unchanged, however the bytes are cut into segments or packed together.
/// </summary>
public class RoundTripPropertyTests
{
    /// <summary>Samples per property and version; the whole class runs in a few seconds on two cores.</summary>
    private const long Iterations = 6_000;

    private static string Print(MqttPacket packet) => PacketAssert.Describe(packet);

    private static string Print(MqttPacket[] packets) => string.Join('\n', packets.Select(PacketAssert.Describe));

    [Theory]
    [InlineData(MqttProtocolVersion.V310)]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public void Decoding_the_encoding_gives_the_same_packet(MqttProtocolVersion version) =>
        PacketGenerators.For(version).Sample(
            packet => PacketAssert.Equal(packet, PacketAssert.Decode(PacketAssert.Encode(packet, version), version)),
            iter: Iterations,
            print: Print);

    [Theory]
    [InlineData(MqttProtocolVersion.V310)]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public void Encoding_the_decoded_packet_gives_the_same_bytes(MqttProtocolVersion version) =>
        PacketGenerators.For(version).Sample(
            packet =>
            {
                var bytes = PacketAssert.Encode(packet, version);
                Assert.Equal(bytes, PacketAssert.Encode(PacketAssert.Decode(bytes, version), version));
            },
            iter: Iterations,
            print: Print);

    [Theory]
    [InlineData(MqttProtocolVersion.V310)]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public void GetSize_is_the_encoded_length(MqttProtocolVersion version) =>
        PacketGenerators.For(version).Sample(
            packet =>
            {
                var writer = new ArrayBufferWriter<byte>();
                var written = MqttPacketEncoder.Encode(packet, version, writer);
                Assert.Equal(writer.WrittenCount, written);
                Assert.Equal(writer.WrittenCount, MqttPacketEncoder.GetSize(packet, version));
            },
            iter: Iterations,
            print: Print);

    [Theory]
    [InlineData(MqttProtocolVersion.V310)]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public void A_packet_split_into_two_segments_waits_for_the_rest_then_decodes_the_same(MqttProtocolVersion version) =>
        Gen.Select(PacketGenerators.For(version), Gen.Double[0, 1]).Sample(
            (packet, at) =>
            {
                var bytes = PacketAssert.Encode(packet, version);

                // Every packet is at least two bytes, so there is always a cut with bytes on both sides.
                var cut = 1 + (int)(at * (bytes.Length - 2));
                var buffer = SequenceBuilder.Split(bytes, cut);
                Assert.False(buffer.IsSingleSegment);

                var prefix = buffer.Slice(0, cut);
                var status = MqttPacketDecoder.TryRead(ref prefix, version, int.MaxValue, out var partial, out var error);
                Assert.Equal(OperationStatus.NeedMoreData, status);
                Assert.Null(partial);
                Assert.Equal(cut, prefix.Length);

                status = MqttPacketDecoder.TryRead(ref buffer, version, int.MaxValue, out var decoded, out error, new Utf8StringCache());
                Assert.True(status == OperationStatus.Done, $"{status} {error}");
                Assert.Equal(0, buffer.Length);
                PacketAssert.Equal(packet, decoded!);
            },
            iter: Iterations,
            print: t => $"cut at {t.Item2:R} of {Print(t.Item1)}");

    [Theory]
    [InlineData(MqttProtocolVersion.V310)]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public void Packets_back_to_back_in_one_buffer_come_out_one_by_one_in_order(MqttProtocolVersion version)
    {
        // Repeats of earlier packets so that the per-connection topic cache also serves hits.
        var packets = Gen.Select(
            PacketGenerators.For(version).Array[1, 6],
            Gen.Int[0, 5].Array[0, 3],
            (distinct, repeats) => distinct.Concat(repeats.Select(i => distinct[i % distinct.Length])).ToArray());
        Gen.Select(packets, Gen.Double[0, 1].Array[0, 4]).Sample(
            (expected, cutsAt) =>
            {
                var bytes = expected.SelectMany(p => PacketAssert.Encode(p, version)).ToArray();
                var buffer = SequenceBuilder.Split(bytes, [.. cutsAt.Select(at => (int)(at * bytes.Length))]);
                // Small, so that it both collides and passes longer topics straight through.
                var cache = new Utf8StringCache(capacity: 4, maxByteLength: 16);
                foreach (var packet in expected)
                {
                    var status = MqttPacketDecoder.TryRead(ref buffer, version, int.MaxValue, out var decoded, out var error, cache);
                    Assert.True(status == OperationStatus.Done, $"{status} {error}");
                    PacketAssert.Equal(packet, decoded!);
                }

                Assert.Equal(0, buffer.Length);
                Assert.Equal(OperationStatus.NeedMoreData, MqttPacketDecoder.TryRead(ref buffer, version, int.MaxValue, out _, out _));
            },
            iter: Iterations / 2,
            print: t => $"cuts at [{string.Join(", ", t.Item2)}] of\n{Print(t.Item1)}");
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V310)]
    [InlineData(MqttProtocolVersion.V311)]
    public void A_5_0_publish_encoded_down_level_loses_only_the_5_0_content(MqttProtocolVersion version) =>
        PacketGenerators.PublishV500

            // An empty topic name that stands for a topic alias has no meaning before 5.0: the broker resolves
            // the alias first, and the encoder refuses such a PUBLISH down-level (see PublishVectorTests).
            .Where(p => p.Topic.Length > 0)
            .Sample(
                packet =>
                {
                    var bytes = PacketAssert.Encode(packet, version);
                    Assert.Equal(bytes.Length, MqttPacketEncoder.GetSize(packet, version));
                    Assert.Equal(PacketAssert.Encode(packet with { Properties = null }, version), bytes);

                    var decoded = Assert.IsType<PublishPacket>(PacketAssert.Decode(bytes, version));
                    Assert.Equal(packet.Topic, decoded.Topic);
                    Assert.Equal(packet.Payload.ToArray(), decoded.Payload.ToArray());
                    Assert.Equal(packet.QoS, decoded.QoS);
                    Assert.Equal(packet.Retain, decoded.Retain);
                    Assert.Equal(packet.Dup, decoded.Dup);
                    Assert.Equal(packet.PacketId, decoded.PacketId);
                    Assert.Null(decoded.Properties);
                },
                iter: Iterations,
                print: Print);

    [Theory]
    [InlineData(MqttProtocolVersion.V310)]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public void The_generator_covers_every_packet_type_and_properties_only_in_5_0(MqttProtocolVersion version)
    {
        var types = new HashSet<PacketType>();
        var withProperties = 0;
        var withoutProperties = 0;
        PacketGenerators.For(version).Sample(
            packet =>
            {
                types.Add(packet.Type);
                if (packet.GetType().GetProperty("Properties")?.GetValue(packet) is null)
                {
                    withoutProperties++;
                }
                else
                {
                    withProperties++;
                }
            },
            iter: 2_000,
            threads: 1);

        Assert.Equal(PacketGenerators.TypesFor(version).Order(), types.Order());
        Assert.True(withoutProperties > 0);
        if (version == MqttProtocolVersion.V500)
        {
            Assert.True(withProperties > withoutProperties / 2, $"{withProperties} with properties, {withoutProperties} without");
        }
        else
        {
            Assert.Equal(0, withProperties);
        }
    }
}
