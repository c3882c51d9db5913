using Actors.Mqtt.Broker.Connections;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol.Packets;
using Akka.Actor;
using Microsoft.Extensions.Time.Testing;

namespace Actors.Mqtt.Broker.Tests.Connections;

/// <summary>
/// The Connection actor's part in pacing QoS 0: as a publisher it stops reading while its marks are unanswered; as a
/// subscriber it answers a mark at once unless its outbound queue is full, and then only once it drained or its client
/// stopped reading.
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
    public void The_packets_of_a_read_behind_the_mark_that_used_up_the_window_wait_until_a_mark_is_answered()
    {
        Connect();
        KnowSubtree("sensors");
        Read(Enumerable.Range(0, 400).Select(i => (MqttPacket)new PublishPacket { Topic = "sensors/1", Payload = BitConverter.GetBytes(i) }).ToArray());

        // Four marks fill the window; each answer lets 64 more through, up to the next mark that fills it again.
        var routed = Routed(256);
        for (var answered = 1L; routed.Count < 400; answered++)
        {
            Topics.ExpectNoMsg(Quiet);
            Inbound.ExpectNoMsg(Quiet);
            Connection.Tell(new Paced(answered, Copies: 1));
            routed.AddRange(Routed(Math.Min(64, 400 - routed.Count)));
        }

        Assert.Equal(Enumerable.Range(0, 400), routed.Select(r => BitConverter.ToInt32(r.Message.Payload.Span)));
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
    public void A_subscriber_that_reads_slowly_holds_the_answer_and_its_qos0_waits_until_its_queue_drained()
    {
        Connect();
        var publisher = CreateTestProbe();
        Connection.Tell(new SendToClient(new PublishPacket { Topic = "a", Payload = new byte[] { 1 } }));
        Connection.Tell(new SendToClient(new PublishPacket { Topic = "a", Payload = new byte[] { 2 } }) { Pace = new PaceMark(publisher.Ref, 8, 1) });

        // The socket is full, but the client has not stopped reading long enough to count as stalled.
        Connection.Tell(OutboundBlocked.Instance);
        Connection.Tell(new SendToClient(new PublishPacket { Topic = "a", Payload = new byte[] { 3 } }) { Pace = new PaceMark(publisher.Ref, 9, 1) });
        publisher.ExpectNoMsg(Quiet);

        Connection.Tell(new OutboundWritten(2));
        Assert.Equal([8L, 9], new[] { publisher.ExpectMsg<Paced>(Generous), publisher.ExpectMsg<Paced>(Generous) }.Select(p => p.Seq));
        Assert.Equal([1, 2, 3], Sent().OfType<PublishPacket>().Select(p => p.Payload.Span[0]));
    }

    [Fact]
    public void A_subscriber_whose_socket_takes_nothing_stops_holding_publishers_and_its_qos0_beyond_the_queue_is_dropped()
    {
        Connect(stallAfter: TimeSpan.FromMilliseconds(300));
        var publisher = CreateTestProbe();
        Connection.Tell(new SendToClient(new PublishPacket { Topic = "a", Payload = new byte[] { 1 } }));
        Connection.Tell(new SendToClient(new PublishPacket { Topic = "a", Payload = new byte[] { 2 } }) { Pace = new PaceMark(publisher.Ref, 8, 1) });
        Connection.Tell(OutboundBlocked.Instance);

        // Held until the socket has taken nothing for the stall time, then answered without anything written.
        Assert.Equal(new Paced(8, 1), publisher.ExpectMsg<Paced>(Generous));

        Connection.Tell(new SendToClient(new PublishPacket { Topic = "a", Payload = new byte[] { 3 } }) { Pace = new PaceMark(publisher.Ref, 9, 1) });
        Assert.Equal(new Paced(9, 1), publisher.ExpectMsg<Paced>(Generous));
        Connection.Tell(new OutboundWritten(2));
        Assert.Equal([1, 2], Sent().OfType<PublishPacket>().Select(p => p.Payload.Span[0]));
    }

    private List<RoutePublish> Routed(int count) =>
        [.. Enumerable.Range(0, count).Select(_ => Topics.FishForMessage<RoutePublish>(_ => true, Generous))];

    [Fact]
    public void A_subscriber_found_stalled_holds_nobody_up_again_until_it_caught_up_to_half_its_queue()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        Connect(stallAfter: TimeSpan.FromSeconds(1), outboundQueue: 4, time: time);
        var publisher = CreateTestProbe();
        SendMarked(publisher, 4, seq: 1);
        Connection.Tell(OutboundBlocked.Instance);
        publisher.ExpectNoMsg(Quiet);

        // The socket took nothing for the stall time: the held mark and the next one are answered, the copy dropped.
        time.Advance(TimeSpan.FromSeconds(1));
        SendMarked(publisher, 1, seq: 2);
        Assert.Equal([1L, 2], new[] { publisher.ExpectMsg<Paced>(Generous).Seq, publisher.ExpectMsg<Paced>(Generous).Seq });

        // One packet taken, and the socket full again: still far behind, so a mark is answered without waiting.
        Connection.Tell(new OutboundWritten(1));
        Connection.Tell(OutboundBlocked.Instance);
        SendMarked(publisher, 1, seq: 3);
        Assert.Equal(3, publisher.ExpectMsg<Paced>(Generous).Seq);

        // Caught up to half: a full queue holds the publisher again.
        Connection.Tell(new OutboundWritten(2));
        Connection.Tell(OutboundBlocked.Instance);
        SendMarked(publisher, 2, seq: 4);
        publisher.ExpectNoMsg(Quiet);
    }

    /// <summary>Sends <paramref name="count"/> QoS 0 packets, the last with a mark of <paramref name="publisher"/>.</summary>
    private void SendMarked(Akka.TestKit.TestProbe publisher, int count, long seq)
    {
        for (var i = 1; i <= count; i++)
        {
            Connection.Tell(new SendToClient(new PublishPacket { Topic = "a", Payload = new byte[] { (byte)i } }) { Pace = i == count ? new PaceMark(publisher.Ref, seq, 1) : null });
        }
    }

    /// <summary>Every packet the connection gave its stream, until it is quiet.</summary>
    private List<MqttPacket> Sent()
    {
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

        return sent;
    }

    /// <summary>The connection sends what it publishes under <paramref name="firstLevel"/> to the topics probe directly.</summary>
    private void KnowSubtree(string firstLevel) => Connection.Tell(new SubtreeResolved(TopicTreeGuardian.SubtreeOf(firstLevel), Topics.Ref));
}
