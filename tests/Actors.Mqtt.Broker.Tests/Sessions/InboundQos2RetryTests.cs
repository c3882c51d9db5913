using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Akka.Actor;

namespace Actors.Mqtt.Broker.Tests.Sessions;

/// <summary>
/// An inbound QoS 2 message is answered (PUBREC) once its route is done; a client that sends it again meanwhile from a
/// new connection (the old one dropped) must get that answer on the new connection.
/// </summary>
public sealed class InboundQos2RetryTests() : SessionActorTestKit()
{
    [Fact]
    [Trait("spec", "MQTT-4.3.3-10")]
    public void A_retry_from_a_new_connection_while_the_route_is_still_running_gets_the_answer()
    {
        var topicTree = TreeProbe();
        var session = Sys.ActorOf(SessionActor.Props("retry", Settings, topicTree.Ref, CreateTestProbe().Ref));
        var first = CreateTestProbe();
        Attach(session, first);
        first.ExpectMsg<SessionAttached>(Generous);
        var publish = new PublishPacket { Topic = "t", QoS = QualityOfService.ExactlyOnce, PacketId = 5, Payload = new byte[] { 1 } };
        session.Tell(new InboundQos2(publish, 0), first.Ref);
        var route = topicTree.FishForMessage<RoutePublish>(_ => true, Generous);

        // The client drops and comes back; it sends the PUBLISH again while the first route is still counting.
        session.Tell(new DetachSession(first.Ref, PublishWill: false, SessionExpiryInterval: null), first.Ref);
        var second = CreateTestProbe();
        Attach(session, second);
        second.ExpectMsg<SessionAttached>(Generous);
        session.Tell(new InboundQos2(publish with { Dup = true }, 0), second.Ref);

        session.Tell(new RouteCounted(route.Confirm!.Id, 0, Matched: true));
        var done = second.ExpectMsg<InboundQos2Done>(Generous);
        Assert.Equal((5, ReasonCode.Success), (done.PacketId, done.ReasonCode));
    }

    [Fact]
    [Trait("spec", "MQTT-4.3.3-10")]
    public void A_new_message_under_a_held_packet_id_is_routed_as_a_new_message_while_the_old_route_runs()
    {
        // MQTTnet numbers packets from 1 again on every connection: after a connection closed with no PUBREC, its next
        // message reuses the id of the one that was never answered.
        var topicTree = TreeProbe();
        var session = Sys.ActorOf(SessionActor.Props("reuse", Settings, topicTree.Ref, CreateTestProbe().Ref));
        var first = CreateTestProbe();
        Attach(session, first);
        first.ExpectMsg<SessionAttached>(Generous);
        session.Tell(new InboundQos2(new PublishPacket { Topic = "t", QoS = QualityOfService.ExactlyOnce, PacketId = 1, Payload = new byte[] { 1 } }, 0), first.Ref);
        var old = topicTree.FishForMessage<RoutePublish>(_ => true, Generous);

        session.Tell(new DetachSession(first.Ref, PublishWill: false, SessionExpiryInterval: null), first.Ref);
        var second = CreateTestProbe();
        Attach(session, second);
        second.ExpectMsg<SessionAttached>(Generous);
        session.Tell(new InboundQos2(new PublishPacket { Topic = "t", QoS = QualityOfService.ExactlyOnce, PacketId = 1, Payload = new byte[] { 2 } }, 0), second.Ref);

        var fresh = topicTree.FishForMessage<RoutePublish>(_ => true, Generous);
        Assert.Equal(new byte[] { 2 }, fresh.Message.Payload.ToArray());
        Assert.NotEqual(old.MessageKey, fresh.MessageKey);
        Assert.False(fresh.Rerouted);

        // The old route's late answer is not the new message's.
        session.Tell(new RouteCounted(old.Confirm!.Id, 0, Matched: true));
        session.Tell(new RouteCounted(fresh.Confirm!.Id, 0, Matched: true));
        var done = second.ExpectMsg<InboundQos2Done>(Generous);
        Assert.Equal((1, ReasonCode.Success), (done.PacketId, done.ReasonCode));
        second.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    [Trait("spec", "MQTT-4.3.3-10")]
    public void A_new_message_under_a_packet_id_waiting_for_PUBREL_is_delivered_and_a_true_retry_is_not()
    {
        var topicTree = TreeProbe();
        var session = Sys.ActorOf(SessionActor.Props("reuse-routed", Settings, topicTree.Ref, CreateTestProbe().Ref));
        var connection = CreateTestProbe();
        Attach(session, connection);
        connection.ExpectMsg<SessionAttached>(Generous);
        var first = new PublishPacket { Topic = "t", QoS = QualityOfService.ExactlyOnce, PacketId = 7, Payload = new byte[] { 1 } };
        session.Tell(new InboundQos2(first, 0), connection.Ref);
        var route = topicTree.FishForMessage<RoutePublish>(_ => true, Generous);
        session.Tell(new RouteCounted(route.Confirm!.Id, 0, Matched: true));
        connection.ExpectMsg<InboundQos2Done>(Generous);

        // The same message again (the PUBREC was lost): answered, not routed.
        session.Tell(new InboundQos2(first with { Dup = true }, 0), connection.Ref);
        Assert.Equal(ReasonCode.Success, connection.ExpectMsg<InboundQos2Done>(Generous).ReasonCode);

        // Another message under the same id before PUBREL: a client that gave the old one up; it is routed (as Mosquitto does).
        session.Tell(new InboundQos2(first with { Topic = "u" }, 0), connection.Ref);
        var fresh = topicTree.FishForMessage<RoutePublish>(_ => true, Generous);
        Assert.Equal("u", fresh.Message.Topic);
        Assert.NotEqual(route.MessageKey, fresh.MessageKey);
    }

    private static void Attach(IActorRef session, Akka.TestKit.TestProbe connection) =>
        session.Tell(new AttachSession("retry", connection.Ref, MqttProtocolVersion.V500, CleanStart: false, SessionExpiryInterval: 3600, Will: null, ClientReceiveMaximum: 10), connection.Ref);
}
