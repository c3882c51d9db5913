using Actors.Mqtt.Broker.Persistence;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace Actors.Mqtt.Broker.Tests.Sessions;

/// <summary>
/// Will delay, session expiry and message expiry follow the broker's clock and timers, which a test moves: nothing
/// here waits real time. The fake clock starts at the real time, so a read of the real clock would see almost none of
/// the time moved.
/// </summary>
public sealed class SessionClockTests() : SessionActorTestKit(testScheduler: true)
{
    private readonly FakeTimeProvider time = new(DateTimeOffset.UtcNow);

    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    private BrokerSettings TimedSettings => Settings with { Time = time };

    [Fact]
    public void The_will_goes_when_its_delay_has_passed_on_the_broker_clock_and_not_before()
    {
        var topics = TreeProbe();
        var connection = CreateTestProbe();
        var session = Sys.ActorOf(SessionActor.Props("will", TimedSettings, topics.Ref, CreateTestProbe().Ref));
        Attach(session, "will", connection, expiry: 3600, Will(delay: 30));
        connection.ExpectMsg<SessionAttached>(Generous);
        Detach(session, connection);

        Scheduler.Advance(TimeSpan.FromSeconds(29));
        topics.ExpectNoMsg(Quiet);

        time.Advance(TimeSpan.FromSeconds(30));
        Scheduler.Advance(TimeSpan.FromSeconds(1));
        var will = topics.ExpectMsg<RoutePublish>(Generous);
        Assert.Equal(("will/topic", "will"), (will.Message.Topic, will.PublisherClientId));
        Assert.Equal(time.Milliseconds(), will.ReceivedAt);
    }

    [Fact]
    public void A_session_whose_expiry_passed_while_the_broker_was_down_ends_at_recovery_and_publishes_its_will()
    {
        var connection = CreateTestProbe();
        var session = Sys.ActorOf(SessionActor.Props("down", TimedSettings, TreeProbe().Ref, CreateTestProbe().Ref));
        Attach(session, "down", connection, expiry: 60, Will(delay: 30));
        connection.ExpectMsg<SessionAttached>(Generous);
        Detach(session, connection);
        Watch(session);

        // Behind what was told it, as a restart would find it; Sys.Stop would overtake the messages still queued.
        session.Tell(PoisonPill.Instance);
        ExpectTerminated(session, Generous);

        // The broker is down for two minutes; the journal says when the connection was lost.
        time.Advance(TimeSpan.FromMinutes(2));
        var topics = TreeProbe();
        var recovered = Sys.ActorOf(SessionActor.Props("down", TimedSettings, topics.Ref, CreateTestProbe().Ref));
        recovered.Tell(WakeUp.Instance);

        Assert.Equal("will/topic", topics.FishForMessage<RoutePublish>(_ => true, Generous).Message.Topic);
    }

    [Fact]
    public void A_queued_message_whose_expiry_passed_while_its_client_was_away_is_not_sent()
    {
        var connection = CreateTestProbe();
        var session = Sys.ActorOf(SessionActor.Props("away", TimedSettings, TreeProbe().Ref, CreateTestProbe().Ref));
        Attach(session, "away", connection, expiry: 3600);
        connection.ExpectMsg<SessionAttached>(Generous);
        session.Tell(new SubscribeRequest(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription("#") { MaximumQoS = QualityOfService.AtLeastOnce }] }), connection.Ref);
        Assert.IsType<SubAckPacket>(connection.ExpectMsg<SendToClient>(Generous).Packet);
        Detach(session, connection);

        session.Tell(Queued("away", payload: 1, expiry: 10));
        session.Tell(Queued("away", payload: 2, expiry: null));
        time.Advance(TimeSpan.FromSeconds(11));
        var again = CreateTestProbe();
        Attach(session, "away", again, expiry: 3600, cleanStart: false);

        Assert.True(again.ExpectMsg<SessionAttached>(Generous).SessionPresent);
        Assert.Equal(2, Assert.IsType<PublishPacket>(again.ExpectMsg<SendToClient>(Generous).Packet).Payload.Span[0]);
        again.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void A_detached_session_sleeps_once_it_had_nothing_to_do_for_its_idle_timeout()
    {
        var shard = CreateTestProbe();
        var connection = CreateTestProbe();
        var settings = TimedSettings with { SessionIdleTimeout = TimeSpan.FromSeconds(10) };
        var session = shard.ChildActorOf(SessionActor.Props("idle", settings, TreeProbe().Ref, CreateTestProbe().Ref, new SessionIndexing(IndexProbe().Ref, "node")));
        Attach(session, "idle", connection, expiry: 3600);
        connection.ExpectMsg<SessionAttached>(Generous);
        Detach(session, connection);

        // Busy half-way through: the idle time counts from here.
        Elapse(TimeSpan.FromSeconds(5));
        session.Tell(WakeUp.Instance);
        ExpectMsg<SessionAwake>(Generous);
        Elapse(TimeSpan.FromSeconds(5));
        shard.ExpectNoMsg(Quiet);

        // The idle timer's own firing is no activity: ten quiet seconds after the last message, the session asks its shard to stop it.
        Elapse(TimeSpan.FromSeconds(5));
        shard.ExpectMsg<Passivate>(Generous);
    }

    private static MqttWill Will(uint delay) =>
        new("will/topic", new byte[] { 1 }) { QoS = QualityOfService.AtLeastOnce, Properties = new MqttProperties { WillDelayInterval = delay } };

    private static void Attach(IActorRef session, string clientId, TestProbe connection, uint expiry, MqttWill? will = null, bool cleanStart = true) =>
        session.Tell(new AttachSession(clientId, connection.Ref, MqttProtocolVersion.V500, cleanStart, expiry, will, ClientReceiveMaximum: 10), connection.Ref);

    /// <summary>Detaches, and waits until the session handled it, so that its timers run from here.</summary>
    private void Detach(IActorRef session, TestProbe connection)
    {
        session.Tell(new DetachSession(connection.Ref, PublishWill: true, SessionExpiryInterval: null), connection.Ref);
        session.Tell(WakeUp.Instance);
        ExpectMsg<SessionAwake>(Generous);
    }

    private void Elapse(TimeSpan span)
    {
        time.Advance(span);
        Scheduler.Advance(span);
    }

    /// <summary>A probe in the place of the session index writer that answers every write a session waits for.</summary>
    private TestProbe IndexProbe()
    {
        var probe = CreateTestProbe();
        probe.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
        {
            if (message is IndexSession { Token: not 0 } index)
            {
                sender.Tell(new SessionIndexed(index.Token));
            }

            return AutoPilot.KeepRunning;
        }));
        return probe;
    }

    private DeliverMessage Queued(string clientId, byte payload, uint? expiry) =>
        new(
            new RoutePublish(
                new PublishPacket
                {
                    Topic = "t",
                    QoS = QualityOfService.AtLeastOnce,
                    PacketId = payload,
                    Payload = new[] { payload },
                    Properties = expiry is null ? null : new MqttProperties { MessageExpiryInterval = expiry },
                },
                "publisher",
                time.Milliseconds()),
            new Delivery(clientId, QualityOfService.AtLeastOnce, RetainAsPublished: false, []));
}
