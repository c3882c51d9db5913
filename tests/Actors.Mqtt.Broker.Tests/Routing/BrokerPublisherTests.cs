using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Akka.TestKit;
using Akka.TestKit.Xunit2;

namespace Actors.Mqtt.Broker.Tests.Routing;

/// <summary>
/// The one path of a message into the broker: the retained store for a retained message, the subtree of its first
/// level for every message, through the guardian until the subtree's address is known.
/// </summary>
public sealed class BrokerPublisherTests : TestKit
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(200);

    private readonly TestProbe guardian;
    private readonly TestProbe retained;
    private readonly TestProbe owner;
    private readonly BrokerPublisher publisher;

    public BrokerPublisherTests()
    {
        guardian = CreateTestProbe();
        retained = CreateTestProbe();
        owner = CreateTestProbe();
        publisher = new BrokerPublisher(guardian.Ref, retained.Ref, owner.Ref);
    }

    [Fact]
    public void A_retained_message_goes_to_the_retained_store_and_to_the_guardian_with_the_same_confirmation()
    {
        var message = Message("sensors/1", retain: true);
        var confirm = new Confirmation(owner.Ref, 7);

        publisher.Publish(message, "pub", receivedAt: 42, confirm, messageKey: 9, rerouted: true);

        var store = retained.ExpectMsg<StoreRetained>(Generous);
        Assert.Equal((message, 42L, confirm), (store.Message, store.ReceivedAt, store.Confirm));
        var route = guardian.ExpectMsg<RoutePublish>(Generous);
        Assert.Equal((message, "pub", 42L, confirm, 9L, true), (route.Message, route.PublisherClientId, route.ReceivedAt, route.Confirm, route.MessageKey, route.Rerouted));

        // The guardian answers the owner, which is the sender of what it forwards.
        Assert.Equal(owner.Ref, guardian.LastSender);
        Assert.Equal(TopicTreeGuardian.SubtreeOf("sensors"), guardian.ExpectMsg<ResolveSubtree>(Generous).Index);
        Assert.Equal(1, BrokerPublisher.RetainedWrites(message));
    }

    [Fact]
    public void A_message_without_retain_does_not_reach_the_retained_store_and_needs_no_write_of_it()
    {
        var message = Message("sensors/1", retain: false);

        publisher.Publish(message, "pub", receivedAt: 1, pace: new PaceMark(owner.Ref, 3));

        Assert.Equal(3, guardian.ExpectMsg<RoutePublish>(Generous).Pace!.Seq);
        retained.ExpectNoMsg(Quiet);
        Assert.Equal(0, BrokerPublisher.RetainedWrites(message));
    }

    [Fact]
    public void Once_the_subtree_is_known_messages_go_to_it_directly_and_those_that_waited_go_first_in_order()
    {
        var index = TopicTreeGuardian.SubtreeOf("sensors");
        for (byte i = 1; i <= 3; i++)
        {
            publisher.Publish(Message("sensors/1", payload: i), "pub", receivedAt: i);
        }

        Assert.Equal(1, guardian.ExpectMsg<RoutePublish>(Generous).Message.Payload.Span[0]);
        guardian.ExpectMsg<ResolveSubtree>(Generous);
        guardian.ExpectNoMsg(Quiet);

        var subtree = CreateTestProbe();
        publisher.Resolved(new SubtreeResolved(index, subtree.Ref));
        publisher.Publish(Message("sensors/2", payload: 4), "pub", receivedAt: 4);

        Assert.Equal([2, 3, 4], Enumerable.Range(0, 3).Select(_ => (int)subtree.ExpectMsg<RoutePublish>(Generous).Message.Payload.Span[0]));
        guardian.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void What_still_waits_when_the_owner_stops_goes_through_the_guardian_in_order()
    {
        for (byte i = 1; i <= 3; i++)
        {
            publisher.Publish(Message("sensors/1", payload: i), "pub", receivedAt: i);
        }

        guardian.ExpectMsg<RoutePublish>(Generous);
        guardian.ExpectMsg<ResolveSubtree>(Generous);

        publisher.SendWaiting();

        Assert.Equal([2, 3], Enumerable.Range(0, 2).Select(_ => (int)guardian.ExpectMsg<RoutePublish>(Generous).Message.Payload.Span[0]));
    }

    private static PublishPacket Message(string topic, bool retain = false, byte payload = 1) =>
        new() { Topic = topic, Payload = new[] { payload }, QoS = QualityOfService.AtLeastOnce, PacketId = 1, Retain = retain };
}
