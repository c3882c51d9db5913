using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Akka.Actor;

namespace Actors.Mqtt.Broker.Tests.Sessions;

/// <summary>
/// An inbound QoS 2 message is routed again under the same key when its publisher's session could not journal that
/// it was routed (a failed or timed-out route, or a kill -9 in between). A subscriber that already has it, or already
/// finished it with its client, must not get it twice.
/// </summary>
public sealed class SessionRerouteTests() : SessionActorTestKit()
{
    private const long Key = 4242;

    [Theory]
    [InlineData(0u)]
    [InlineData(3600u)]
    [Trait("spec", "MQTT-4.3.3-10")]
    public void A_subscriber_that_finished_a_QoS_2_message_does_not_get_it_again_when_it_is_routed_again(uint expiry)
    {
        var connection = CreateTestProbe();
        var session = Subscribed("finished-" + expiry, connection, expiry, QualityOfService.ExactlyOnce);

        session.Tell(Copy("finished-" + expiry, rerouted: false), connection.Ref);
        var publish = Assert.IsType<PublishPacket>(connection.ExpectMsg<SendToClient>(Generous).Packet);
        session.Tell(new OutboundReceived(publish.PacketId, ReasonCode.Success), connection.Ref);
        Assert.IsType<PubRelPacket>(connection.ExpectMsg<SendToClient>(Generous).Packet);
        session.Tell(new OutboundAcknowledged([], [publish.PacketId]), connection.Ref);

        session.Tell(Copy("finished-" + expiry, rerouted: true), connection.Ref);
        connection.ExpectNoMsg(Quiet);
    }

    [Fact]
    [Trait("spec", "MQTT-4.3.3-10")]
    public void A_durable_subscriber_remembers_what_it_finished_across_a_restart_of_the_session()
    {
        var connection = CreateTestProbe();
        var session = Subscribed("restarted", connection, 3600, QualityOfService.ExactlyOnce);
        session.Tell(Copy("restarted", rerouted: false), connection.Ref);
        var publish = Assert.IsType<PublishPacket>(connection.ExpectMsg<SendToClient>(Generous).Packet);
        session.Tell(new OutboundReceived(publish.PacketId, ReasonCode.Success), connection.Ref);
        Assert.IsType<PubRelPacket>(connection.ExpectMsg<SendToClient>(Generous).Packet);
        session.Tell(new OutboundAcknowledged([], [publish.PacketId]), connection.Ref);
        session.Tell(new DetachSession(connection.Ref, PublishWill: false, SessionExpiryInterval: null), connection.Ref);

        // The session actor stops and starts again from its journal, as after a broker restart, then its client returns.
        Watch(session);

        // Behind what was told it, as a restart would find it; Sys.Stop would overtake the messages still queued.
        session.Tell(PoisonPill.Instance);
        ExpectTerminated(session, Generous);
        var again = CreateTestProbe();
        var recovered = Sys.ActorOf(SessionActor.Props("restarted", Settings, TreeProbe().Ref, CreateTestProbe().Ref));
        Attach(recovered, "restarted", again, 3600, cleanStart: false);
        Assert.True(again.ExpectMsg<SessionAttached>(Generous).SessionPresent);

        recovered.Tell(Copy("restarted", rerouted: true), again.Ref);
        again.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void A_QoS_0_subscriber_does_not_get_a_rerouted_message_twice()
    {
        var connection = CreateTestProbe();
        var session = Subscribed("qos0", connection, 0, QualityOfService.AtMostOnce);

        session.Tell(Copy("qos0", rerouted: false, QualityOfService.AtMostOnce), connection.Ref);
        Assert.Equal(QualityOfService.AtMostOnce, Assert.IsType<PublishPacket>(connection.ExpectMsg<SendToClient>(Generous).Packet).QoS);
        session.Tell(Copy("qos0", rerouted: true, QualityOfService.AtMostOnce), connection.Ref);
        connection.ExpectNoMsg(Quiet);
    }

    private IActorRef Subscribed(string clientId, Akka.TestKit.TestProbe connection, uint expiry, QualityOfService qos)
    {
        var session = Sys.ActorOf(SessionActor.Props(clientId, Settings, TreeProbe().Ref, CreateTestProbe().Ref));
        Attach(session, clientId, connection, expiry, cleanStart: true);
        connection.ExpectMsg<SessionAttached>(Generous);
        session.Tell(new SubscribeRequest(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription("#") { MaximumQoS = qos }] }), connection.Ref);
        Assert.IsType<SubAckPacket>(connection.ExpectMsg<SendToClient>(Generous).Packet);
        return session;
    }

    private static void Attach(IActorRef session, string clientId, Akka.TestKit.TestProbe connection, uint expiry, bool cleanStart) =>
        session.Tell(new AttachSession(clientId, connection.Ref, MqttProtocolVersion.V500, cleanStart, expiry, Will: null, ClientReceiveMaximum: 10), connection.Ref);

    private static DeliverMessage Copy(string clientId, bool rerouted, QualityOfService granted = QualityOfService.ExactlyOnce) =>
        new(
            new RoutePublish(new PublishPacket { Topic = "t", QoS = QualityOfService.ExactlyOnce, PacketId = 7, Payload = new byte[] { 1 } }, "publisher", 0)
            {
                MessageKey = Key,
                Rerouted = rerouted,
            },
            new Delivery(clientId, granted, RetainAsPublished: false, []));
}
