using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Akka.Actor;
using Akka.TestKit.Xunit2;

namespace Actors.Mqtt.Broker.Tests.Routing;

/// <summary>The topic tree's part in pacing a QoS 0 publisher: it counts the copies of a marked message.</summary>
public sealed class TopicTreePacingTests : TestKit
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);

    [Fact]
    public void Every_copy_of_a_marked_message_carries_the_number_of_copies_made()
    {
        var tree = Sys.ActorOf(TopicTreeActor.Props(new RoundRobinPicker(), TimeProvider.System));
        var one = CreateTestProbe();
        var two = CreateTestProbe();
        tree.Tell(new AddSubscriptions(one.Ref, [Subscriptions.Of("one", "sensors/#")]));
        tree.Tell(new AddSubscriptions(two.Ref, [Subscriptions.Of("two", "sensors/+/temperature")]));
        var publisher = CreateTestProbe();

        tree.Tell(Publication("sensors/7/temperature", new PaceMark(publisher.Ref, Seq: 5)));
        tree.Tell(Publication("sensors/7/humidity", null));

        Assert.Equal(new PaceMark(publisher.Ref, 5, Copies: 2), one.ExpectMsg<DeliverMessage>(Generous).Pace);
        Assert.Equal(new PaceMark(publisher.Ref, 5, Copies: 2), two.ExpectMsg<DeliverMessage>(Generous).Pace);
        Assert.Null(one.ExpectMsg<DeliverMessage>(Generous).Pace);
        publisher.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_marked_message_that_matches_no_one_is_answered_by_the_tree()
    {
        var tree = Sys.ActorOf(TopicTreeActor.Props(new RoundRobinPicker(), TimeProvider.System));
        tree.Tell(new AddSubscriptions(CreateTestProbe().Ref, [Subscriptions.Of("one", "sensors/#")]));
        var publisher = CreateTestProbe();

        tree.Tell(Publication("actuators/1", new PaceMark(publisher.Ref, Seq: 9)));

        Assert.Equal(new Paced(9, Copies: 0), publisher.ExpectMsg<Paced>(Generous));
    }

    private static RoutePublish Publication(string topic, PaceMark? pace) =>
        new(new PublishPacket { Topic = topic, QoS = QualityOfService.AtMostOnce, Payload = new byte[] { 1 } }, "publisher", 0) { Pace = pace };
}
