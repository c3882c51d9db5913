using System.Buffers;
using System.Runtime.InteropServices;
using Actors.Mqtt.Protocol.Codec;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Actors.Mqtt.Protocol.Tests.Support;

namespace Actors.Mqtt.Protocol.Tests.Codec;

/// <summary>
/// Framing over <see cref="ReadOnlySequence{T}"/> as a pipe delivers it: frames cut anywhere, several frames in one
/// segment, partial input left untouched, the remaining length at its size boundaries, and oversized packets.
/// </summary>
public class FrameReaderTests
{
    /// <summary>A QoS 0 PUBLISH of 208 bytes whose remaining length (205) takes two bytes: "30 CD 01".</summary>
    private static readonly byte[] LongPublish = Hex.Bytes("30 CD 01" + "00 03 61 2F 62" + Hex.Format(Payload200()));

    private static readonly PublishPacket LongPublishPacket = new() { Topic = "a/b", Payload = Payload200() };

    /// <summary>A 5.0 PUBLISH with properties (subscription identifiers with multi-byte values, user properties).</summary>
    private static readonly byte[] PropertiesPublish = Hex.Bytes(
        "33 1E" /* PUBLISH QoS 1 retain, remaining length 30 */
        + "00 03 61 2F 62" /* topic "a/b" */
        + "00 0A" /* packet identifier 10 */
        + "14" /* property length 20 */
        + "0B 80 01" /* subscription identifier 128 */
        + "0B FF FF FF 7F" /* subscription identifier 268435455 */
        + "02 00 00 0E 10" /* message expiry interval 3600 */
        + "26 00 01 6B 00 01 76" /* user property k=v (any property order is valid on input) */
        + "68 69" /* payload "hi" */);

    private static readonly PublishPacket PropertiesPublishPacket = new()
    {
        Topic = "a/b",
        QoS = QualityOfService.AtLeastOnce,
        Retain = true,
        PacketId = 10,
        Properties = new MqttProperties { SubscriptionIdentifiers = [128, VariableByteInteger.MaxValue], MessageExpiryInterval = 3600, UserProperties = [new("k", "v")] },
        Payload = "hi"u8.ToArray(),
    };

    [Fact]
    public void Frame_split_in_two_at_every_byte_position_decodes_identically()
    {
        for (var cut = 1; cut < LongPublish.Length; cut++)
        {
            var buffer = SequenceBuilder.Split(LongPublish, cut);
            Assert.False(buffer.IsSingleSegment);
            var status = MqttPacketDecoder.TryRead(ref buffer, MqttProtocolVersion.V311, int.MaxValue, out var packet, out var error);
            Assert.True(status == OperationStatus.Done, $"cut at {cut}: {status} {error}");
            PacketAssert.Equal(LongPublishPacket, packet!);
            Assert.Equal(0, buffer.Length);
        }
    }

    [Fact]
    public void Frame_split_in_three_at_every_pair_of_positions_decodes_identically()
    {
        for (var first = 1; first < PropertiesPublish.Length - 1; first++)
        {
            for (var second = first + 1; second < PropertiesPublish.Length; second++)
            {
                var buffer = SequenceBuilder.Split(PropertiesPublish, first, second);
                var status = MqttPacketDecoder.TryRead(ref buffer, MqttProtocolVersion.V500, int.MaxValue, out var packet, out var error);
                Assert.True(status == OperationStatus.Done, $"cuts at {first}, {second}: {status} {error}");
                PacketAssert.Equal(PropertiesPublishPacket, packet!);
                Assert.Equal(0, buffer.Length);
            }
        }
    }

    [Fact]
    public void Frame_of_one_byte_segments_with_empty_segments_between_decodes()
    {
        var chunks = LongPublish.SelectMany(b => new[] { Array.Empty<byte>(), new[] { b } }).ToArray();
        var buffer = SequenceBuilder.Build(chunks);
        var status = MqttPacketDecoder.TryRead(ref buffer, MqttProtocolVersion.V311, int.MaxValue, out var packet, out var error);
        Assert.True(status == OperationStatus.Done, $"{status} {error}");
        PacketAssert.Equal(LongPublishPacket, packet!);
        Assert.Equal(0, buffer.Length);
    }

    [Fact]
    public void Frame_reader_gives_the_header_byte_and_the_body_after_the_remaining_length()
    {
        var buffer = SequenceBuilder.Split(LongPublish, 2);
        Assert.Equal(OperationStatus.Done, MqttFrameReader.TryRead(ref buffer, int.MaxValue, out var frame, out _));
        Assert.Equal(0x30, frame.Header);
        Assert.Equal(PacketType.Publish, frame.Type);
        Assert.Equal(0, frame.Flags);
        Assert.Equal(Hex.Format(LongPublish.AsSpan(3)), Hex.Format(frame.Body.ToArray()));
        Assert.Equal(LongPublish.Length, frame.Size);
    }

    [Fact]
    public void Frame_with_three_byte_remaining_length_split_inside_it_decodes()
    {
        // Remaining length 16384 = "80 80 01"; cut after each header byte and in the body.
        var payload = new byte[16384 - 5];
        payload.AsSpan().Fill(0x5A);
        var bytes = Hex.Bytes("30 80 80 01" + "00 03 61 2F 62").Concat(payload).ToArray();
        foreach (var cut in new[] { 1, 2, 3, 4, 5, 6, 100, bytes.Length - 1 })
        {
            var buffer = SequenceBuilder.Split(bytes, cut);
            var status = MqttPacketDecoder.TryRead(ref buffer, MqttProtocolVersion.V311, int.MaxValue, out var packet, out var error);
            Assert.True(status == OperationStatus.Done, $"cut at {cut}: {status} {error}");
            PacketAssert.Equal(new PublishPacket { Topic = "a/b", Payload = payload }, packet!);
            Assert.Equal(0, buffer.Length);
        }
    }

    [Fact]
    public void Two_frames_in_one_segment_come_out_one_by_one()
    {
        var buffer = new ReadOnlySequence<byte>(Hex.Bytes("C0 00" /* PINGREQ */ + "32 09 00 03 61 2F 62 00 0A 68 69" /* PUBLISH QoS 1 */));
        AssertNext(ref buffer, MqttProtocolVersion.V311, PingReqPacket.Instance, remaining: 11);
        AssertNext(ref buffer, MqttProtocolVersion.V311, new PublishPacket { Topic = "a/b", QoS = QualityOfService.AtLeastOnce, PacketId = 10, Payload = "hi"u8.ToArray() }, remaining: 0);
        AssertDrained(ref buffer, MqttProtocolVersion.V311);
    }

    [Fact]
    public void Three_frames_in_one_segment_come_out_one_by_one()
    {
        var buffer = new ReadOnlySequence<byte>(Hex.Bytes(
            "82 09 00 0A 00 00 03 61 2F 62 00" /* SUBSCRIBE 5.0 "a/b" options 0 */
            + "40 03 00 0A 10" /* PUBACK 5.0 no matching subscribers */
            + "E0 00" /* DISCONNECT */));
        AssertNext(ref buffer, MqttProtocolVersion.V500, new SubscribePacket { PacketId = 10, Subscriptions = [new("a/b")] }, remaining: 7);
        AssertNext(ref buffer, MqttProtocolVersion.V500, new PubAckPacket { PacketId = 10, ReasonCode = ReasonCode.NoMatchingSubscribers }, remaining: 2);
        AssertNext(ref buffer, MqttProtocolVersion.V500, new DisconnectPacket(), remaining: 0);
        AssertDrained(ref buffer, MqttProtocolVersion.V500);
    }

    [Fact]
    public void Frames_straddling_segment_boundaries_come_out_one_by_one()
    {
        var bytes = Hex.Bytes("C0 00" + "30 07 00 03 61 2F 62 68 69" + "D0 00");
        var buffer = SequenceBuilder.Split(bytes, 3, 10);
        AssertNext(ref buffer, MqttProtocolVersion.V311, PingReqPacket.Instance, remaining: 11);
        AssertNext(ref buffer, MqttProtocolVersion.V311, new PublishPacket { Topic = "a/b", Payload = "hi"u8.ToArray() }, remaining: 2);
        AssertNext(ref buffer, MqttProtocolVersion.V311, PingRespPacket.Instance, remaining: 0);
        AssertDrained(ref buffer, MqttProtocolVersion.V311);
    }

    [Fact]
    public void NeedMoreData_leaves_the_buffer_untouched_for_every_incomplete_prefix()
    {
        for (var length = 0; length < LongPublish.Length; length++)
        {
            foreach (var original in new[] { new ReadOnlySequence<byte>(LongPublish, 0, length), SequenceBuilder.Split(LongPublish[..length], length / 2) })
            {
                var buffer = original;
                var status = MqttPacketDecoder.TryRead(ref buffer, MqttProtocolVersion.V311, int.MaxValue, out var packet, out _);
                Assert.True(status == OperationStatus.NeedMoreData, $"prefix of {length} bytes: {status}");
                Assert.Null(packet);
                Assert.Equal(original.Start, buffer.Start);
                Assert.Equal(original.End, buffer.End);
                Assert.Equal(length, buffer.Length);
            }
        }
    }

    [Theory]
    [InlineData(0, "00")]
    [InlineData(127, "7F")]
    [InlineData(128, "80 01")]
    [InlineData(16_383, "FF 7F")]
    [InlineData(16_384, "80 80 01")]
    [InlineData(2_097_151, "FF FF 7F")]
    [InlineData(2_097_152, "80 80 80 01")]
    [InlineData(268_435_455, "FF FF FF 7F")]
    public void Variable_byte_integer_boundaries_match_the_spec_table(int value, string hex)
    {
        // 3.1.1 table 2.4 / 5.0 section 1.5.5: 1 byte to 127, 2 to 16 383, 3 to 2 097 151, 4 to 268 435 455.
        var expected = Hex.Bytes(hex);
        var written = new byte[4];
        Assert.Equal(expected.Length, VariableByteInteger.Write(written, value));
        Assert.Equal(Hex.Normalize(hex), Hex.Format(written.AsSpan(0, expected.Length)));
        Assert.Equal(expected.Length, VariableByteInteger.GetSize(value));
        Assert.Equal(OperationStatus.Done, VariableByteInteger.TryRead(expected, out var read, out var consumed));
        Assert.Equal(value, read);
        Assert.Equal(expected.Length, consumed);
    }

    [Theory]
    [InlineData(127, "30 7F")]
    [InlineData(128, "30 80 01")]
    [InlineData(16_383, "30 FF 7F")]
    [InlineData(16_384, "30 80 80 01")]
    public void Encoder_writes_the_remaining_length_in_the_fewest_bytes(int remainingLength, string header)
    {
        var payload = new byte[remainingLength - 5];
        var packet = new PublishPacket { Topic = "a/b", Payload = payload };
        var bytes = PacketAssert.Encode(packet, MqttProtocolVersion.V311);
        var headerBytes = Hex.Bytes(header);
        Assert.Equal(headerBytes.Length + remainingLength, bytes.Length);
        Assert.Equal(Hex.Normalize(header + " 00 03 61 2F 62"), Hex.Format(bytes.AsSpan(0, headerBytes.Length + 5)));
        PacketAssert.Equal(packet, PacketAssert.Decode(bytes, MqttProtocolVersion.V311));
    }

    [Fact]
    public void Encoder_writes_remaining_length_0_in_one_byte()
    {
        Assert.Equal("C0 00", Hex.Format(PacketAssert.Encode(PingReqPacket.Instance, MqttProtocolVersion.V311)));
    }

    [Theory]
    [InlineData("30 FF FF 7F", 2_097_151)]
    [InlineData("30 80 80 80 01", 2_097_152)]
    [InlineData("30 FF FF FF 7F", 268_435_455)]
    public void Frame_reader_reads_large_remaining_lengths_from_the_header_alone(string header, int remainingLength)
    {
        // The packet size (header included) sits exactly on the limit: the reader waits for the body...
        var headerBytes = Hex.Bytes(header);
        var packetSize = headerBytes.Length + remainingLength;
        var buffer = new ReadOnlySequence<byte>(headerBytes);
        Assert.Equal(OperationStatus.NeedMoreData, MqttFrameReader.TryRead(ref buffer, packetSize, out _, out _));
        Assert.Equal(headerBytes.Length, buffer.Length);

        // ...and one byte less refuses it, which pins the value it read.
        Assert.Equal(OperationStatus.InvalidData, MqttFrameReader.TryRead(ref buffer, packetSize - 1, out _, out var error));
        Assert.Equal(ReasonCode.PacketTooLarge, error.ReasonCode);
    }

    [Fact]
    [Trait("spec", "MQTT-1.5.5-1")]
    public void Remaining_length_not_in_its_shortest_form_is_malformed()
    {
        // 0x80 0x00 is 0 in two bytes.
        var buffer = new ReadOnlySequence<byte>(Hex.Bytes("C0 80 00"));
        Assert.Equal(OperationStatus.InvalidData, MqttFrameReader.TryRead(ref buffer, int.MaxValue, out _, out var error));
        Assert.Equal(ReasonCode.MalformedPacket, error.ReasonCode);
    }

    [Fact]
    public void Remaining_length_of_five_bytes_is_malformed()
    {
        var buffer = new ReadOnlySequence<byte>(Hex.Bytes("30 FF FF FF FF 01"));
        Assert.Equal(OperationStatus.InvalidData, MqttFrameReader.TryRead(ref buffer, int.MaxValue, out _, out var error));
        Assert.Equal(ReasonCode.MalformedPacket, error.ReasonCode);
    }

    [Fact]
    public void Packet_larger_than_the_maximum_is_refused_from_its_header_before_the_body_arrives()
    {
        // The first 5 bytes of a PUBLISH with remaining length 1 048 576 = 0x00 + 0x00 * 128 + 0x40 * 16384.
        var head = Hex.Bytes("30 80 80 40" /* fixed header */ + "00" /* first byte of the topic length */);

        var waiting = new ReadOnlySequence<byte>(head);
        Assert.Equal(OperationStatus.NeedMoreData, MqttPacketDecoder.TryRead(ref waiting, MqttProtocolVersion.V311, 2_000_000, out _, out _));

        var buffer = SequenceBuilder.Split(head, 2);
        var status = MqttPacketDecoder.TryRead(ref buffer, MqttProtocolVersion.V311, 65_536, out var packet, out var error);
        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Null(packet);
        Assert.Equal(ReasonCode.PacketTooLarge, error.ReasonCode);
        Assert.Equal(0x95, (byte)error.ReasonCode);
    }

    [Fact]
    public void Maximum_packet_size_counts_the_fixed_header_and_is_inclusive()
    {
        var bytes = Hex.Bytes("30 05 00 03 61 2F 62"); // 7 bytes on the wire
        var exact = new ReadOnlySequence<byte>(bytes);
        Assert.Equal(OperationStatus.Done, MqttPacketDecoder.TryRead(ref exact, MqttProtocolVersion.V311, 7, out _, out _));

        var over = new ReadOnlySequence<byte>(bytes);
        Assert.Equal(OperationStatus.InvalidData, MqttPacketDecoder.TryRead(ref over, MqttProtocolVersion.V311, 6, out _, out var error));
        Assert.Equal(ReasonCode.PacketTooLarge, error.ReasonCode);
    }

    [Fact]
    public void Payload_of_a_single_segment_decode_is_a_slice_of_the_input_array()
    {
        // Two bytes in front of the frame, so the slice must also carry the right offset.
        var array = Hex.Bytes("FF FF" + "32 09 00 03 61 2F 62 00 0A 68 69");
        var buffer = new ReadOnlySequence<byte>(array, 2, array.Length - 2);
        Assert.Equal(OperationStatus.Done, MqttPacketDecoder.TryRead(ref buffer, MqttProtocolVersion.V311, int.MaxValue, out var packet, out _));
        var publish = Assert.IsType<PublishPacket>(packet);
        Assert.True(MemoryMarshal.TryGetArray(publish.Payload, out var segment));
        Assert.Same(array, segment.Array);
        Assert.Equal(11, segment.Offset);
        Assert.Equal(2, segment.Count);
    }

    private static void AssertNext(ref ReadOnlySequence<byte> buffer, MqttProtocolVersion version, MqttPacket expected, long remaining)
    {
        var status = MqttPacketDecoder.TryRead(ref buffer, version, int.MaxValue, out var packet, out var error);
        Assert.True(status == OperationStatus.Done, $"{status} {error}");
        PacketAssert.Equal(expected, packet!);
        Assert.Equal(remaining, buffer.Length);
    }

    private static void AssertDrained(ref ReadOnlySequence<byte> buffer, MqttProtocolVersion version)
    {
        Assert.True(buffer.IsEmpty);
        Assert.Equal(OperationStatus.NeedMoreData, MqttPacketDecoder.TryRead(ref buffer, version, int.MaxValue, out var packet, out _));
        Assert.Null(packet);
    }

    private static byte[] Payload200() => Enumerable.Range(0, 200).Select(i => (byte)i).ToArray();
}
