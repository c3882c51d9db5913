using Actors.Mqtt.Broker.Connections;
using Actors.Mqtt.Broker.Extensions;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Security;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Topics;
using Akka.Actor;

namespace Actors.Mqtt.Broker.Tests.Extensions;

/// <summary>
/// The rules a connection is given when its client is accepted (an extension's answer to <see cref="PermissionsFor"/>,
/// or the ACL file's): checked inline for each PUBLISH, SUBSCRIBE and delivery; the ACL file's are resolved again
/// from a newer load of it, an extension's are kept.
/// </summary>
public sealed class ConnectionPermissionsTests : Tests.Connections.ConnectionActorTestKit
{
    [Fact]
    public void Rules_given_at_connect_decide_publish_subscribe_and_delivery()
    {
        Connect(permissions: new Subtree("own/#"));

        Read(new PublishPacket { Topic = "other/1", QoS = QualityOfService.AtLeastOnce, PacketId = 1, Payload = new byte[] { 1 } });
        var refused = Assert.IsType<PubAckPacket>(Outbound.FishForMessage<OutboundPacket>(_ => true, Generous).Packet);
        Assert.Equal((1, ReasonCode.NotAuthorized), (refused.PacketId, refused.ReasonCode));
        Connection.Tell(new OutboundWritten(1));
        Read(new PublishPacket { Topic = "own/1", Payload = new byte[] { 2 } });
        Assert.Equal("own/1", Topics.ExpectMsg<RoutePublish>(Generous).Message.Topic);

        Read(new SubscribePacket { PacketId = 7, Subscriptions = [new MqttSubscription("own/+"), new MqttSubscription("other/#")] });
        Assert.Equal([false, true], Session.FishForMessage<SubscribeRequest>(_ => true, Generous).Denied);

        Connection.Tell(new SendToClient(new PublishPacket { Topic = "other/1", Payload = new byte[] { 3 } }));
        Connection.Tell(new SendToClient(new PublishPacket { Topic = "own/1", Payload = new byte[] { 4 } }));
        Assert.Equal("own/1", Assert.IsType<PublishPacket>(Outbound.FishForMessage<OutboundPacket>(_ => true, Generous).Packet).Topic);
    }

    [Fact]
    public void Rules_from_the_acl_file_follow_a_newer_load_even_one_told_before_they_arrived()
    {
        var first = AclFile.Parse("user alice\ntopic write a/#\n", "acl");
        var second = AclFile.Parse("user alice\ntopic write b/#\n", "acl");

        // The reload is told while the gate's answer, resolved from the older load, is on its way.
        Connect(permissions: first.For("paced", "alice", generation: 1), authenticating: () => Connection.Tell(new AclChanged(second, 2)));
        ExpectRefused("a/1", packetId: 1);
        ExpectRouted("b/1");

        Connection.Tell(new AclChanged(first, 3));
        ExpectRefused("b/2", packetId: 2);
        ExpectRouted("a/2");
    }

    [Fact]
    public void Rules_from_an_extension_stay_through_an_acl_reload()
    {
        Connect(permissions: new Subtree("own/#"));

        Connection.Tell(new AclChanged(AclFile.Parse("topic readwrite #\n", "acl"), 1));

        ExpectRefused("other/1", packetId: 1);
    }

    private void ExpectRefused(string topic, ushort packetId)
    {
        Read(new PublishPacket { Topic = topic, QoS = QualityOfService.AtLeastOnce, PacketId = packetId, Payload = new byte[] { 1 } });
        var ack = Assert.IsType<PubAckPacket>(Outbound.FishForMessage<OutboundPacket>(_ => true, Generous).Packet);
        Assert.Equal((packetId, ReasonCode.NotAuthorized), (ack.PacketId, ack.ReasonCode));
        Connection.Tell(new OutboundWritten(1));
    }

    private void ExpectRouted(string topic)
    {
        Read(new PublishPacket { Topic = topic, Payload = new byte[] { 1 } });

        // A topic in a subtree the connection has not published to yet is routed once the guardian named its router.
        var first = Topics.ExpectMsg<object>(Generous);
        if (first is ResolveSubtree resolve)
        {
            Connection.Tell(new SubtreeResolved(resolve.Index, Topics.Ref));
            first = Topics.ExpectMsg<object>(Generous);
        }

        Assert.Equal(topic, Assert.IsType<RoutePublish>(first).Message.Topic);
    }

    /// <summary>An extension's rules: everything under one filter, nothing else.</summary>
    private sealed class Subtree(string own) : IClientPermissions
    {
        public bool MayPublish(string topic) => TopicMatcher.Matches(own, topic);

        public bool MaySubscribe(string filter) => ClientAcl.Overlaps(own, filter);

        public bool MayReceive(string topic) => TopicMatcher.Matches(own, topic);
    }
}
