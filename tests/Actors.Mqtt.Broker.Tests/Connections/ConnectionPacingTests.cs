using System.Buffers;
using Actors.Mqtt.Broker.Connections;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Security;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Codec;
using Actors.Mqtt.Protocol.Packets;
using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;

namespace Actors.Mqtt.Broker.Tests.Connections;

/// <summary>
/// The connection actor's part in pacing QoS 0: as a publisher it stops reading while its marks are unanswered; as a
/// subscriber it answers a mark at once unless the broker, not its client, is behind.
/// </summary>
public sealed class ConnectionPacingTests : TestKit
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);
    private static readonly ConnectionInfo Tcp = new("tcp", "127.0.0.1:5000", "127.0.0.1:1883");

    private readonly TestProbe inbound;
    private readonly TestProbe outbound;
    private readonly TestProbe topics;
    private IActorRef connection = ActorRefs.Nobody;

    public ConnectionPacingTests()
    {
        inbound = CreateTestProbe();
        outbound = CreateTestProbe();
        topics = CreateTestProbe();
    }

    [Fact]
    public void A_publisher_whose_marks_are_never_answered_is_read_again_after_the_pace_timeout()
    {
        Connect(paceTimeout: TimeSpan.FromMilliseconds(500));
        Read(Enumerable.Range(0, 256).Select(_ => (MqttPacket)new PublishPacket { Topic = "sensors/1", Payload = new byte[] { 1 } }).ToArray());

        inbound.ExpectMsg<InboundAck>(Generous);
    }

    [Fact]
    public void A_publisher_is_not_read_while_four_marks_are_unanswered_and_is_read_again_once_one_is_answered()
    {
        Connect();
        // Four marks: one on every 64th QoS 0 message, all in one read.
        Read(Enumerable.Range(0, 256).Select(_ => (MqttPacket)new PublishPacket { Topic = "sensors/1", Payload = new byte[] { 1 } }).ToArray());

        var marks = new List<PaceMark>();
        for (var i = 0; i < 256; i++)
        {
            if (topics.FishForMessage<RoutePublish>(_ => true, Generous).Pace is { } mark)
            {
                marks.Add(mark);
            }
        }

        Assert.Equal([1L, 2, 3, 4], marks.Select(m => m.Seq));
        Assert.All(marks, m => Assert.Equal(connection, m.Publisher));
        inbound.ExpectNoMsg(Quiet);

        // Two copies of the first mark: one answer is not enough.
        connection.Tell(new Paced(1, Copies: 2));
        inbound.ExpectNoMsg(Quiet);
        connection.Tell(new Paced(1, Copies: 2));
        inbound.ExpectMsg<InboundAck>(Generous);
    }

    [Fact]
    public void A_subscriber_whose_socket_takes_what_it_is_given_holds_the_answer_until_its_queue_drained()
    {
        Connect();
        var publisher = CreateTestProbe();

        // Two packets wait for the socket (the queue's size here), and the socket has not said it is full.
        connection.Tell(new SendToClient(new PublishPacket { Topic = "a", Payload = new byte[] { 1 } }));
        connection.Tell(new SendToClient(new PublishPacket { Topic = "a", Payload = new byte[] { 2 } }) { Pace = new PaceMark(publisher.Ref, 7, 1) });
        publisher.ExpectNoMsg(Quiet);

        connection.Tell(new OutboundWritten(2));
        Assert.Equal(new Paced(7, 1), publisher.ExpectMsg<Paced>(Generous));
    }

    [Fact]
    public void A_subscriber_that_reads_slowly_answers_at_once_and_its_qos0_beyond_the_queue_is_dropped()
    {
        Connect();
        var publisher = CreateTestProbe();
        connection.Tell(new SendToClient(new PublishPacket { Topic = "a", Payload = new byte[] { 1 } }));
        connection.Tell(new SendToClient(new PublishPacket { Topic = "a", Payload = new byte[] { 2 } }) { Pace = new PaceMark(publisher.Ref, 8, 1) });
        publisher.ExpectNoMsg(Quiet);

        connection.Tell(OutboundBlocked.Instance);
        Assert.Equal(new Paced(8, 1), publisher.ExpectMsg<Paced>(Generous));

        connection.Tell(new SendToClient(new PublishPacket { Topic = "a", Payload = new byte[] { 3 } }) { Pace = new PaceMark(publisher.Ref, 9, 1) });
        Assert.Equal(new Paced(9, 1), publisher.ExpectMsg<Paced>(Generous));
        connection.Tell(new OutboundWritten(2));
        var sent = new List<MqttPacket>();
        while (outbound.ReceiveOne(Quiet) is { } message)
        {
            sent.AddRange(message switch
            {
                OutboundPacket one => [one.Packet],
                OutboundPackets many => many.Packets,
                _ => [],
            });
        }

        Assert.Equal([1, 2], sent.OfType<PublishPacket>().Select(p => p.Payload.Span[0]));
    }

    /// <summary>A connection through CONNECT and CONNACK, with an outbound queue of two packets.</summary>
    private void Connect(TimeSpan? paceTimeout = null)
    {
        var sessions = CreateTestProbe();
        var auth = CreateTestProbe();
        var settings = BrokerSettings.From(BrokerSettings.Reference) with { OutboundQueue = 2, PaceTimeout = paceTimeout ?? TimeSpan.FromMinutes(5) };
        connection = Sys.ActorOf(ConnectionActor.Props(Tcp, settings, sessions.Ref, topics.Ref, CreateTestProbe().Ref, auth.Ref));

        connection.Tell(new OutboundReady(outbound.Ref));
        connection.Tell(InboundInit.Instance, inbound.Ref);
        inbound.ExpectMsg<InboundAck>(Generous);
        Read(new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V500, ClientId = "paced", CleanSession = true });
        auth.ExpectMsg<Authenticate>(Generous);
        connection.Tell(new ConnectAccepted(null, 0));
        sessions.ExpectMsg<SessionEnvelope>(Generous);
        connection.Tell(new SessionAttached(CreateTestProbe().Ref, SessionPresent: false));
        Assert.IsType<ConnAckPacket>(outbound.FishForMessage<OutboundPacket>(_ => true, Generous).Packet);
        connection.Tell(new OutboundWritten(1));
        inbound.ExpectMsg<InboundAck>(Generous);
    }

    private void Read(params MqttPacket[] packets)
    {
        var writer = new ArrayBufferWriter<byte>();
        foreach (var packet in packets)
        {
            MqttPacketEncoder.Encode(packet, MqttProtocolVersion.V500, writer);
        }

        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory.ToArray());
        var frames = new List<MqttFrame>();
        while (MqttFrameReader.TryRead(ref buffer, 1 << 20, out var frame, out _) == OperationStatus.Done)
        {
            frames.Add(frame);
        }

        connection.Tell(new FrameBatch(frames, null), inbound.Ref);
    }
}
