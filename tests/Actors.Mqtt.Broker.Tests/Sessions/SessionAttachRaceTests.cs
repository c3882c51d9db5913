using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Akka.Actor;

namespace Actors.Mqtt.Broker.Tests.Sessions;

/// <summary>
/// A durable session answers an AttachSession once the write it makes has landed; connections that came and went, or
/// were taken over, while that write was on its way must not be answered as if they still held the session.
/// </summary>
[Collection(nameof(GatedJournal))]
public sealed class SessionAttachRaceTests() : SessionActorTestKit(gated: true)
{
    [Fact]
    public void A_connection_that_leaves_before_its_attach_is_written_is_not_answered_and_the_session_goes_on()
    {
        var first = CreateTestProbe();
        var session = Sys.ActorOf(SessionActor.Props("race-1", Settings, TreeProbe().Ref, CreateTestProbe().Ref));
        Attach(session, "race-1", first, cleanStart: true);
        first.ExpectMsg<SessionAttached>(Generous);
        session.Tell(new SubscribeRequest(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription("#") { MaximumQoS = QualityOfService.AtLeastOnce }] }), first.Ref);
        first.ExpectMsg<SendToClient>(Generous);
        session.Tell(Copy("race-1", "in-flight"));
        first.ExpectMsg<SendToClient>(Generous);
        session.Tell(new DetachSession(first.Ref, PublishWill: false, SessionExpiryInterval: null));

        // A client that drops right after CONNECT: its attach is still being written when it is gone.
        var flapping = CreateTestProbe();
        using (GatedJournal.Closed())
        {
            Attach(session, "race-1", flapping, cleanStart: false);
            session.Tell(new DetachSession(flapping.Ref, PublishWill: false, SessionExpiryInterval: null));
            flapping.ExpectNoMsg(Quiet);
        }

        flapping.ExpectNoMsg(Quiet);

        // The session is the same: the next connection gets it, and the message still in flight, again.
        var last = CreateTestProbe();
        Attach(session, "race-1", last, cleanStart: false);
        Assert.True(last.ExpectMsg<SessionAttached>(Generous).SessionPresent);
        var again = Assert.IsType<PublishPacket>(last.ExpectMsg<SendToClient>(Generous).Packet);
        Assert.Equal(("in-flight", true), (again.Topic, again.Dup));
    }

    [Fact]
    public void A_connection_that_asks_again_while_or_after_its_attach_is_written_is_answered_once_and_loses_nothing()
    {
        // A connection asks again when a member leaves the cluster while it waits: its first AttachSession may have
        // gone to the member that died, or reached this session, which must not start over.
        var first = CreateTestProbe();
        var session = Sys.ActorOf(SessionActor.Props("race-again", Settings, TreeProbe().Ref, CreateTestProbe().Ref));
        Attach(session, "race-again", first, cleanStart: true);
        first.ExpectMsg<SessionAttached>(Generous);
        session.Tell(new SubscribeRequest(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription("#") { MaximumQoS = QualityOfService.AtLeastOnce }] }), first.Ref);
        first.ExpectMsg<SendToClient>(Generous);
        session.Tell(new DetachSession(first.Ref, PublishWill: false, SessionExpiryInterval: null));

        var asking = CreateTestProbe();
        using (GatedJournal.Closed())
        {
            Attach(session, "race-again", asking, cleanStart: false);
            Attach(session, "race-again", asking, cleanStart: false);
        }

        Assert.True(asking.ExpectMsg<SessionAttached>(Generous).SessionPresent);
        Attach(session, "race-again", asking, cleanStart: false);
        session.Tell(Copy("race-again", "after"));
        Assert.Equal("after", Assert.IsType<PublishPacket>(asking.ExpectMsg<SendToClient>(Generous).Packet).Topic);
        asking.ExpectNoMsg(Quiet);
    }

    [Fact]
    [Trait("spec", "MQTT-3.1.4-3")]
    public void A_connection_taken_over_before_its_attach_is_written_hears_only_that_it_was_taken_over()
    {
        var session = Sys.ActorOf(SessionActor.Props("race-2", Settings, TreeProbe().Ref, CreateTestProbe().Ref));
        var taken = CreateTestProbe();
        var taking = CreateTestProbe();
        using (GatedJournal.Closed())
        {
            Attach(session, "race-2", taken, cleanStart: true);
            Attach(session, "race-2", taking, cleanStart: false);
            taken.ExpectMsg<SessionTakenOver>(Generous);
        }

        taking.ExpectMsg<SessionAttached>(Generous);
        taken.ExpectNoMsg(Quiet);
    }

    private static void Attach(IActorRef session, string clientId, Akka.TestKit.TestProbe connection, bool cleanStart) =>
        session.Tell(new AttachSession(clientId, connection.Ref, MqttProtocolVersion.V500, cleanStart, SessionExpiryInterval: 3600, Will: null, ClientReceiveMaximum: 10), connection.Ref);

    private static DeliverMessage Copy(string clientId, string topic) =>
        new(
            new RoutePublish(new PublishPacket { Topic = topic, QoS = QualityOfService.AtLeastOnce, PacketId = 7, Payload = new byte[] { 1 } }, "publisher", 0),
            new Delivery(clientId, QualityOfService.AtLeastOnce, RetainAsPublished: false, []));
}
