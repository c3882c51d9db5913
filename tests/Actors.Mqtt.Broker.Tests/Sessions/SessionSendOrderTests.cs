using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Akka.Actor;

namespace Actors.Mqtt.Broker.Tests.Sessions;

/// <summary>
/// A durable session sends a QoS 1 PUBLISH without waiting for its journal write (a restart before the write sends it
/// again, which QoS 1 allows), a QoS 2 PUBLISH only once the write landed (a second delivery would break exactly once),
/// and never one before an earlier one.
/// </summary>
[Collection(nameof(GatedJournal))]
public sealed class SessionSendOrderTests() : SessionActorTestKit(gated: true)
{
    [Fact]
    public void A_QoS_1_message_goes_to_the_client_while_its_write_is_still_on_its_way()
    {
        var connection = CreateTestProbe();
        var session = DurableAndSubscribed("order-1", connection);

        using var closed = GatedJournal.Closed();
        session.Tell(Copy("order-1", "q1", QualityOfService.AtLeastOnce));

        Assert.Equal("q1", Topic(connection.ExpectMsg<SendToClient>(Generous)));
    }

    [Fact]
    [Trait("spec", "MQTT-4.6.0-6")]
    public void A_QoS_2_message_waits_for_its_write_and_a_QoS_1_message_after_it_waits_behind_it()
    {
        var connection = CreateTestProbe();
        var session = DurableAndSubscribed("order-2", connection);

        var closed = GatedJournal.Closed();
        session.Tell(Copy("order-2", "q2", QualityOfService.ExactlyOnce));
        session.Tell(Copy("order-2", "q1-after", QualityOfService.AtLeastOnce));
        connection.ExpectNoMsg(Quiet);

        closed.Dispose();
        Assert.Equal("q2", Topic(connection.ExpectMsg<SendToClient>(Generous)));
        Assert.Equal("q1-after", Topic(connection.ExpectMsg<SendToClient>(Generous)));
    }

    [Fact]
    public void The_last_messages_held_behind_a_write_go_out_once_it_lands_with_nothing_after_them()
    {
        var connection = CreateTestProbe();
        var session = DurableAndSubscribed("order-3", connection);

        // The end of a stream: the first message's write is on its way, the others are held behind it, and no
        // message follows to push them on.
        var closed = GatedJournal.Closed();
        session.Tell(Copy("order-3", "last-1", QualityOfService.ExactlyOnce));
        session.Tell(Copy("order-3", "last-2", QualityOfService.ExactlyOnce));
        session.Tell(Copy("order-3", "last-3", QualityOfService.ExactlyOnce));
        connection.ExpectNoMsg(Quiet);

        closed.Dispose();
        Assert.Equal(["last-1", "last-2", "last-3"], Enumerable.Range(0, 3).Select(_ => Topic(connection.ExpectMsg<SendToClient>(Generous))));
    }

    private IActorRef DurableAndSubscribed(string clientId, Akka.TestKit.TestProbe connection)
    {
        var session = Sys.ActorOf(SessionActor.Props(clientId, Settings, TreeProbe().Ref, CreateTestProbe().Ref));
        session.Tell(new AttachSession(clientId, connection.Ref, MqttProtocolVersion.V500, CleanStart: true, SessionExpiryInterval: 3600, Will: null, ClientReceiveMaximum: 10), connection.Ref);
        connection.ExpectMsg<SessionAttached>(Generous);
        session.Tell(new SubscribeRequest(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription("#") { MaximumQoS = QualityOfService.ExactlyOnce }] }), connection.Ref);
        Assert.IsType<SubAckPacket>(connection.ExpectMsg<SendToClient>(Generous).Packet);
        return session;
    }

    private static string Topic(SendToClient sent) => Assert.IsType<PublishPacket>(sent.Packet).Topic;

    private static DeliverMessage Copy(string clientId, string topic, QualityOfService qos) =>
        new(
            new RoutePublish(new PublishPacket { Topic = topic, QoS = qos, PacketId = 7, Payload = new byte[] { 1 } }, "publisher", 0),
            new Delivery(clientId, qos, RetainAsPublished: false, []));
}
