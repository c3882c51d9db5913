using Actors.Mqtt.Broker.Connections;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Akka.Actor;

namespace Actors.Mqtt.Broker.Tests.Connections;

/// <summary>
/// The acknowledgements a connection owes while their writes are on the way are bounded by receive-maximum, for QoS 1
/// as for QoS 2 and for every version: at the bound the connection stops reading its socket, and reads again once one
/// is sent.
/// </summary>
public sealed class ConnectionInboundLimitTests : ConnectionActorTestKit
{
    [Fact]
    public void While_receive_maximum_QoS_1_acknowledgements_wait_for_writes_nothing_more_is_read()
    {
        Connect(receiveMaximum: 2);

        Read(Qos1(1), Qos1(2));
        var first = Topics.ExpectMsg<RoutePublish>(Generous);
        Connection.Tell(new SubtreeResolved(Topics.ExpectMsg<ResolveSubtree>(Generous).Index, Topics.Ref));
        Topics.ExpectMsg<RoutePublish>(Generous);
        Inbound.ExpectNoMsg(Quiet);

        Connection.Tell(new RouteCounted(first.Confirm!.Id, 0));
        Assert.Equal(1, Assert.IsType<PubAckPacket>(Outbound.FishForMessage<OutboundPacket>(_ => true, Generous).Packet).PacketId);
        Inbound.ExpectMsg<InboundAck>(Generous);
    }

    private static PublishPacket Qos1(ushort id) =>
        new() { Topic = "limits/a", QoS = QualityOfService.AtLeastOnce, PacketId = id, Payload = new byte[] { (byte)id } };
}
