using System.Buffers;
using Actors.Mqtt.Broker.Connections;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Codec;
using Actors.Mqtt.Protocol.Packets;
using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.TestKit;
using Akka.TestKit.Xunit2;

namespace Actors.Mqtt.Broker.Tests.Connections;

/// <summary>How a connection's stage talks to its actor, found through the ConnectionOwner attribute, both ways.</summary>
public sealed class ConnectionStageTests : TestKit
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);
    private static readonly byte[] PingReq = [0xC0, 0x00];

    private readonly TestProbe owner;

    public ConnectionStageTests() => owner = CreateTestProbe();

    [Fact]
    public void Each_batch_waits_for_the_acknowledgement_of_the_one_before_and_the_end_follows_the_last()
    {
        Run(Source.From(Enumerable.Range(0, 3).Select(_ => new ReadOnlyMemory<byte>(PingReq))), Sink.Ignore<ReadOnlyMemory<byte>>());
        var stage = Started();
        owner.ExpectNoMsg(Quiet);

        for (var i = 0; i < 3; i++)
        {
            stage(InboundAck.Instance);
            Assert.Equal([PacketType.PingReq], owner.ExpectMsg<FrameBatch>(Generous).Frames.Select(f => f.Type));
            if (i < 2)
            {
                owner.ExpectNoMsg(Quiet);
            }
        }

        owner.ExpectMsg<InboundCompleted>(Generous);
    }

    [Fact]
    public void A_packet_cut_across_reads_arrives_whole_and_packets_sharing_a_read_arrive_together()
    {
        var publish = Encode(new PublishPacket { Topic = "a/b", Payload = new byte[] { 1, 2, 3 } });
        var chunks = new[] { publish[..1], publish[1..4], publish[4..].Concat(PingReq).Concat(PingReq).ToArray() };
        Run(Source.From(chunks.Select(c => new ReadOnlyMemory<byte>(c))), Sink.Ignore<ReadOnlyMemory<byte>>());
        var stage = Started();

        stage(InboundAck.Instance);
        var batch = owner.ExpectMsg<FrameBatch>(Generous);
        Assert.Equal([PacketType.Publish, PacketType.PingReq, PacketType.PingReq], batch.Frames.Select(f => f.Type));
        Assert.Null(batch.Error);
        stage(InboundAck.Instance);
        owner.ExpectMsg<InboundCompleted>(Generous);
    }

    [Fact]
    public async Task A_malformed_header_ends_the_batches_with_its_error_and_stops_reading()
    {
        // A remaining length longer than four bytes is malformed [MQTT-1.5.5-1]; the source would go on for ever.
        var (read, _) = Source.Single(new ReadOnlyMemory<byte>([.. PingReq, 0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]))
            .Concat(Source.Repeat(new ReadOnlyMemory<byte>(PingReq)))
            .WatchTermination(Keep.Right)
            .Via(new ConnectionStage(1 << 20))
            .ToMaterialized(Sink.Ignore<ReadOnlyMemory<byte>>(), Keep.Both)
            .AddAttributes(new Attributes(new ConnectionOwner(owner.Ref)))
            .Run(Sys.Materializer());
        var stage = Started();

        stage(InboundAck.Instance);
        var batch = owner.ExpectMsg<FrameBatch>(Generous);
        Assert.Equal([PacketType.PingReq], batch.Frames.Select(f => f.Type));
        Assert.Equal(ReasonCode.MalformedPacket, batch.Error?.ReasonCode);
        owner.ExpectMsg<InboundCompleted>(Generous);
        await read.WaitAsync(Generous);
    }

    [Fact]
    public void A_failed_input_tells_the_actor_why()
    {
        Run(Source.Failed<ReadOnlyMemory<byte>>(new IOException("reset by peer")), Sink.Ignore<ReadOnlyMemory<byte>>());

        Assert.Equal("reset by peer", owner.FishForMessage<InboundFailed>(_ => true, Generous).Cause.Message);
    }

    [Fact]
    public async Task The_stream_stops_when_its_actor_says_it_stopped()
    {
        var done = Source.Maybe<ReadOnlyMemory<byte>>()
            .WatchTermination(Keep.Right)
            .Via(new ConnectionStage(1 << 20))
            .To(Sink.Ignore<ReadOnlyMemory<byte>>())
            .AddAttributes(new Attributes(new ConnectionOwner(owner.Ref)))
            .Run(Sys.Materializer());
        var stage = Started();

        stage(ConnectionEnded.Instance);

        await done.WaitAsync(Generous);
    }

    [Fact]
    public async Task Packets_sent_to_the_stage_are_encoded_for_the_version_written_and_the_output_ends_on_request()
    {
        var written = Run(Source.Maybe<ReadOnlyMemory<byte>>(), Sink.Seq<ReadOnlyMemory<byte>>());
        var outbound = Started();
        var packets = new MqttPacket[] { PingRespPacket.Instance, new PubAckPacket { PacketId = 7, ReasonCode = ReasonCode.NoMatchingSubscribers } };

        outbound(new OutboundVersion(MqttProtocolVersion.V500));
        outbound(new OutboundPackets(packets));
        outbound(OutboundComplete.Instance);

        Assert.Equal(2, owner.FishForMessage<OutboundWritten>(_ => true, Generous).Count);
        var bytes = (await written.WaitAsync(Generous)).SelectMany(c => c.ToArray()).ToArray();
        Assert.Equal(packets.SelectMany(p => Encode(p, MqttProtocolVersion.V500)), bytes);
    }

    [Fact]
    public void Packets_waiting_behind_a_chunk_the_socket_has_not_taken_are_reported_once()
    {
        // The socket takes one chunk, then the next only once this test acknowledges it; its buffer holds one more.
        var socket = CreateTestProbe();
        Run(Source.Maybe<ReadOnlyMemory<byte>>(), Sink.ActorRefWithAck<ReadOnlyMemory<byte>>(socket.Ref, "init", "ack", "done").WithAttributes(Attributes.CreateInputBuffer(1, 1)));
        socket.ExpectMsg("init", Generous);
        socket.Reply("ack");
        var outbound = Started();

        outbound(new OutboundPacket(PingRespPacket.Instance));
        var received = socket.ExpectMsg<ReadOnlyMemory<byte>>(Generous).Length;
        outbound(new OutboundPacket(PingRespPacket.Instance));
        Assert.Equal(1, owner.FishForMessage<OutboundWritten>(_ => true, Generous).Count);
        Assert.Equal(1, owner.ExpectMsg<OutboundWritten>(Generous).Count);

        // Nothing more is taken now: these two wait, and the actor hears so once.
        outbound(new OutboundPacket(PingRespPacket.Instance));
        outbound(new OutboundPacket(PingRespPacket.Instance));
        owner.ExpectMsg<OutboundBlocked>(Generous);
        owner.ExpectNoMsg(Quiet);

        while (received < 4 * 2)
        {
            socket.Reply("ack");
            received += socket.ExpectMsg<ReadOnlyMemory<byte>>(Generous).Length;
        }

        Assert.Equal(2, owner.ExpectMsg<OutboundWritten>(Generous).Count);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Packets_sent_before_the_actor_ended_go_out_when_the_socket_takes_them_or_until_the_drain_timeout(bool socketReads)
    {
        var socket = CreateTestProbe();
        var ended = Source.Maybe<ReadOnlyMemory<byte>>()
            .Via(new ConnectionStage(1 << 20, TimeSpan.FromMilliseconds(500)))
            .WatchTermination(Keep.Right)
            .To(Sink.ActorRefWithAck<ReadOnlyMemory<byte>>(socket.Ref, "init", "ack", "done").WithAttributes(Attributes.CreateInputBuffer(1, 1)))
            .AddAttributes(new Attributes(new ConnectionOwner(owner.Ref)))
            .Run(Sys.Materializer());
        socket.ExpectMsg("init", Generous);
        socket.Reply("ack");
        var stage = Started();

        // One chunk at the socket, one in its buffer, and the last packet waiting in the stage when the actor ends.
        stage(new OutboundPacket(PingRespPacket.Instance));
        socket.ExpectMsg<ReadOnlyMemory<byte>>(Generous);
        stage(new OutboundPacket(PingRespPacket.Instance));
        owner.FishForMessage<OutboundWritten>(_ => true, Generous);
        owner.FishForMessage<OutboundWritten>(_ => true, Generous);
        stage(new OutboundPacket(new DisconnectPacket { ReasonCode = ReasonCode.KeepAliveTimeout }));
        owner.FishForMessage<OutboundBlocked>(_ => true, Generous);
        stage(OutboundComplete.Instance);
        stage(ConnectionEnded.Instance);

        if (socketReads)
        {
            socket.Reply("ack");
            socket.ExpectMsg<ReadOnlyMemory<byte>>(Generous);
            socket.Reply("ack");
            Assert.Equal(Encode(new DisconnectPacket { ReasonCode = ReasonCode.KeepAliveTimeout }), socket.ExpectMsg<ReadOnlyMemory<byte>>(Generous).ToArray());
        }

        await ended.WaitAsync(Generous);
    }

    private T Run<T>(Source<ReadOnlyMemory<byte>, NotUsed> input, Sink<ReadOnlyMemory<byte>, T> output) =>
        input.Via(new ConnectionStage(1 << 20)).ToMaterialized(output, Keep.Right)
            .AddAttributes(new Attributes(new ConnectionOwner(owner.Ref)))
            .Run(Sys.Materializer());

    private T Run<T>(Source<ReadOnlyMemory<byte>, TaskCompletionSource<ReadOnlyMemory<byte>>> input, Sink<ReadOnlyMemory<byte>, T> output) =>
        Run(input.MapMaterializedValue(_ => NotUsed.Instance), output);

    /// <summary>The stage said it runs; returns its way in.</summary>
    private Action<object> Started() => owner.ExpectMsg<StreamReady>(Generous).Send;

    private static byte[] Encode(MqttPacket packet, MqttProtocolVersion version = MqttProtocolVersion.V311)
    {
        var writer = new ArrayBufferWriter<byte>();
        MqttPacketEncoder.Encode(packet, version, writer);
        return writer.WrittenSpan.ToArray();
    }
}
