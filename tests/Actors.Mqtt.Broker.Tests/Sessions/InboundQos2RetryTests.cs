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

    private static void Attach(IActorRef session, Akka.TestKit.TestProbe connection) =>
        session.Tell(new AttachSession("retry", connection.Ref, MqttProtocolVersion.V500, CleanStart: false, SessionExpiryInterval: 3600, Will: null, ClientReceiveMaximum: 10), connection.Ref);
}
