using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Akka.Actor;

namespace Actors.Mqtt.Broker.Tests.Sessions;

/// <summary>The session's part in pacing a QoS 0 publisher: the mark goes on with the copy, or is answered here.</summary>
public sealed class SessionPacingTests() : SessionActorTestKit()
{
    [Fact]
    public void A_marked_copy_goes_to_the_connection_with_its_mark()
    {
        var connection = CreateTestProbe();
        var session = Attached("paced-1", connection);
        session.Tell(new SubscribeRequest(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription("sensors/#")] }), connection.Ref);
        connection.FishForMessage<SendToClient>(m => m.Packet is SubAckPacket, Generous);
        var mark = new PaceMark(CreateTestProbe().Ref, Seq: 3, Copies: 1);

        session.Tell(Copy("paced-1", mark));

        var sent = connection.FishForMessage<SendToClient>(m => m.Packet is PublishPacket, Generous);
        Assert.Equal(mark, sent.Pace);
    }

    [Fact]
    public void A_marked_copy_the_session_no_longer_subscribes_to_is_answered_by_the_session()
    {
        var connection = CreateTestProbe();
        var session = Attached("paced-2", connection);
        var publisher = CreateTestProbe();

        session.Tell(Copy("paced-2", new PaceMark(publisher.Ref, Seq: 4, Copies: 2)));

        Assert.Equal(new Paced(4, Copies: 2), publisher.ExpectMsg<Paced>(Generous));
    }

    private IActorRef Attached(string clientId, Akka.TestKit.TestProbe connection)
    {
        var session = Sys.ActorOf(SessionActor.Props(clientId, Settings, TreeProbe().Ref, CreateTestProbe().Ref));
        session.Tell(new AttachSession(clientId, connection.Ref, MqttProtocolVersion.V500, CleanStart: true, SessionExpiryInterval: 0, Will: null, ClientReceiveMaximum: 10), connection.Ref);
        connection.FishForMessage<SessionAttached>(_ => true, Generous);
        return session;
    }

    private static DeliverMessage Copy(string clientId, PaceMark mark) =>
        new(
            new RoutePublish(new PublishPacket { Topic = "sensors/1", QoS = QualityOfService.AtMostOnce, Payload = new byte[] { 1 } }, "publisher", 0),
            new Delivery(clientId, QualityOfService.AtMostOnce, RetainAsPublished: false, []))
        { Pace = mark };
}
