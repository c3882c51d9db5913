using Actors.Mqtt.Broker.Connections;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol.Packets;
using Akka.Actor;

namespace Actors.Mqtt.Broker.Tests.Connections;

/// <summary>
/// The Connection actor's part in pacing QoS 0: as a publisher it stops reading while its marks are unanswered; as a
/// subscriber it answers a mark at once unless the broker, not its client, is behind.
/// </summary>
public sealed class ConnectionPacingTests : ConnectionActorTestKit
{
    [Fact]
    public void A_publisher_whose_marks_are_never_answered_is_read_again_after_the_pace_timeout()
    {
        Connect(paceTimeout: TimeSpan.FromMilliseconds(500));
        KnowSubtree("sensors");
        Read(Enumerable.Range(0, 256).Select(_ => (MqttPacket)new PublishPacket { Topic = "sensors/1", Payload = new byte[] { 1 } }).ToArray());

        Inbound.ExpectMsg<InboundAck>(Generous);
    }

    [Fact]
    public void A_publisher_is_not_read_while_four_marks_are_unanswered_and_is_read_again_once_one_is_answered()
    {
        Connect();
        KnowSubtree("sensors");
        // Four marks: one on every 64th QoS 0 message, all in one read.
        Read(Enumerable.Range(0, 256).Select(_ => (MqttPacket)new PublishPacket { Topic = "sensors/1", Payload = new byte[] { 1 } }).ToArray());

        var marks = new List<PaceMark>();
        for (var i = 0; i < 256; i++)
        {
            if (Topics.FishForMessage<RoutePublish>(_ => true, Generous).Pace is { } mark)
            {
                marks.Add(mark);
            }
        }

        Assert.Equal([1L, 2, 3, 4], marks.Select(m => m.Seq));
        Assert.All(marks, m => Assert.Equal(Connection, m.Publisher));
        Inbound.ExpectNoMsg(Quiet);

        // Two copies of the first mark: one answer is not enough.
        Connection.Tell(new Paced(1, Copies: 2));
        Inbound.ExpectNoMsg(Quiet);
        Connection.Tell(new Paced(1, Copies: 2));
        Inbound.ExpectMsg<InboundAck>(Generous);
    }

    [Fact]
    public void A_subscriber_whose_socket_takes_what_it_is_given_holds_the_answer_until_its_queue_drained()
    {
        Connect();
        var publisher = CreateTestProbe();

        // Two packets wait for the socket (the queue's size here), and the socket has not said it is full.
        Connection.Tell(new SendToClient(new PublishPacket { Topic = "a", Payload = new byte[] { 1 } }));
        Connection.Tell(new SendToClient(new PublishPacket { Topic = "a", Payload = new byte[] { 2 } }) { Pace = new PaceMark(publisher.Ref, 7, 1) });
        publisher.ExpectNoMsg(Quiet);

        Connection.Tell(new OutboundWritten(2));
        Assert.Equal(new Paced(7, 1), publisher.ExpectMsg<Paced>(Generous));
    }

    [Fact]
    public void A_subscriber_that_reads_slowly_answers_at_once_and_its_qos0_beyond_the_queue_is_dropped()
    {
        Connect();
        var publisher = CreateTestProbe();
        Connection.Tell(new SendToClient(new PublishPacket { Topic = "a", Payload = new byte[] { 1 } }));
        Connection.Tell(new SendToClient(new PublishPacket { Topic = "a", Payload = new byte[] { 2 } }) { Pace = new PaceMark(publisher.Ref, 8, 1) });
        publisher.ExpectNoMsg(Quiet);

        Connection.Tell(OutboundBlocked.Instance);
        Assert.Equal(new Paced(8, 1), publisher.ExpectMsg<Paced>(Generous));

        Connection.Tell(new SendToClient(new PublishPacket { Topic = "a", Payload = new byte[] { 3 } }) { Pace = new PaceMark(publisher.Ref, 9, 1) });
        Assert.Equal(new Paced(9, 1), publisher.ExpectMsg<Paced>(Generous));
        Connection.Tell(new OutboundWritten(2));
        var sent = new List<MqttPacket>();
        while (Outbound.ReceiveOne(Quiet) is { } message)
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

    /// <summary>The connection sends what it publishes under <paramref name="firstLevel"/> to the topics probe directly.</summary>
    private void KnowSubtree(string firstLevel) => Connection.Tell(new SubtreeResolved(TopicTreeGuardian.SubtreeOf(firstLevel), Topics.Ref));
}
