using Actors.Mqtt.Broker.Connections;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Akka.Actor;

namespace Actors.Mqtt.Broker.Tests.Connections;

/// <summary>
/// A connection sends publications to the topic tree's guardian until it knows the subtree of their first level,
/// then to that subtree directly; the switch must not let a message overtake one the guardian still forwards.
/// </summary>
public sealed class ConnectionRoutingTests : ConnectionActorTestKit
{
    [Fact]
    [Trait("spec", "MQTT-4.6.0-6")]
    public void Messages_published_while_their_subtree_is_looked_up_wait_and_follow_the_first_one_in_order()
    {
        Connect();
        Read([.. Enumerable.Range(1, 4).Select(i => (MqttPacket)new PublishPacket { Topic = "sensors/1", Payload = new[] { (byte)i } })]);

        Assert.Equal(1, Topics.ExpectMsg<RoutePublish>(Generous).Message.Payload.Span[0]);
        Assert.Equal(TopicTreeGuardian.SubtreeOf("sensors"), Topics.ExpectMsg<ResolveSubtree>(Generous).Index);

        // Sent to the guardian after its answer was asked for, they could reach the subtree after later ones sent to
        // the subtree directly.
        Topics.ExpectNoMsg(Quiet);

        var subtree = CreateTestProbe();
        Connection.Tell(new SubtreeResolved(TopicTreeGuardian.SubtreeOf("sensors"), subtree.Ref));
        Assert.Equal([2, 3, 4], Enumerable.Range(0, 3).Select(_ => (int)subtree.ExpectMsg<RoutePublish>(Generous).Message.Payload.Span[0]));

        Read(new PublishPacket { Topic = "sensors/2", Payload = new byte[] { 5 }, QoS = QualityOfService.AtMostOnce });
        Assert.Equal(5, subtree.ExpectMsg<RoutePublish>(Generous).Message.Payload.Span[0]);
        Topics.ExpectNoMsg(Quiet);
    }

    [Fact]
    [Trait("spec", "MQTT-4.6.0-6")]
    public void First_levels_of_one_subtree_share_its_lookup_and_go_to_it_in_order()
    {
        var index = TopicTreeGuardian.SubtreeOf("dev-0");
        var sibling = Enumerable.Range(1, 10_000).Select(i => $"dev-{i}").First(level => TopicTreeGuardian.SubtreeOf(level) == index);
        Connect();
        Read(
            new PublishPacket { Topic = "dev-0/telemetry", Payload = new byte[] { 1 } },
            new PublishPacket { Topic = sibling + "/telemetry", Payload = new byte[] { 2 } });

        Assert.Equal(1, Topics.ExpectMsg<RoutePublish>(Generous).Message.Payload.Span[0]);
        Assert.Equal(index, Topics.ExpectMsg<ResolveSubtree>(Generous).Index);
        Topics.ExpectNoMsg(Quiet);

        var subtree = CreateTestProbe();
        Connection.Tell(new SubtreeResolved(index, subtree.Ref));
        Read(new PublishPacket { Topic = sibling + "/status", Payload = new byte[] { 3 } });

        Assert.Equal([2, 3], Enumerable.Range(0, 2).Select(_ => (int)subtree.ExpectMsg<RoutePublish>(Generous).Message.Payload.Span[0]));
        Topics.ExpectNoMsg(Quiet);
    }

    [Fact]
    [Trait("spec", "MQTT-4.6.0-6")]
    public void Messages_waiting_for_their_subtree_when_the_client_leaves_still_go_in_order_through_the_guardian()
    {
        Connect();
        Read([.. Enumerable.Range(1, 3).Select(i => (MqttPacket)new PublishPacket { Topic = "sensors/1", Payload = new[] { (byte)i } })]);
        Assert.Equal(1, Topics.ExpectMsg<RoutePublish>(Generous).Message.Payload.Span[0]);
        Topics.ExpectMsg<ResolveSubtree>(Generous);

        Connection.Tell(InboundCompleted.Instance, Inbound.Ref);

        Assert.Equal([2, 3], Enumerable.Range(0, 2).Select(_ => (int)Topics.FishForMessage<RoutePublish>(_ => true, Generous).Message.Payload.Span[0]));
    }
}
