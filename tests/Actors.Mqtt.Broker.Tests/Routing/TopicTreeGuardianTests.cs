using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Akka.Actor;
using Akka.TestKit.Xunit2;

namespace Actors.Mqtt.Broker.Tests.Routing;

/// <summary>
/// The topic tree's state follows subscriptions, not the topics published: a bounded set of subtree actors, each
/// holding the root wildcards once, and nothing left behind once the subscriptions are gone.
/// </summary>
public sealed class TopicTreeGuardianTests : TestKit
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(500);

    [Fact]
    public void Publishing_to_many_first_levels_leaves_no_actor_node_or_wildcard_copy_per_topic()
    {
        const int FirstLevels = 10_000;
        var guardian = Sys.ActorOf(TopicTreeGuardian.Props(() => new RoundRobinPicker(), TimeProvider.System), "topics");
        var all = CreateTestProbe();
        var telemetry = CreateTestProbe();
        guardian.Tell(new AddSubscriptions(all.Ref, [Subscriptions.Of("all", "#")]));
        guardian.Tell(new AddSubscriptions(telemetry.Ref, [Subscriptions.Of("telemetry", "+/telemetry")]));

        for (var i = 0; i < FirstLevels; i++)
        {
            guardian.Tell(Publication($"dev-{i}/telemetry"));
        }

        all.ReceiveN(FirstLevels, Generous);
        telemetry.ReceiveN(FirstLevels, Generous);
        var subtrees = Subtrees(guardian);

        Assert.Equal(TopicTreeGuardian.SubtreeCount, subtrees.Count);

        // The root, "#", "+" and "+/telemetry": the two wildcards once in each subtree, whatever was published.
        Assert.All(subtrees, subtree => Assert.Equal(new SubtreeCounted(Nodes: 4, Subscriptions: 2, Sessions: 2), Count(subtree)));
    }

    [Fact]
    public void Unsubscribing_everything_leaves_every_subtree_empty()
    {
        var guardian = Sys.ActorOf(TopicTreeGuardian.Props(() => new RoundRobinPicker(), TimeProvider.System), "topics");
        var a = CreateTestProbe();
        var b = CreateTestProbe();
        string[] filtersOfA = ["#", "+/telemetry", "dev-1/telemetry", "$share/g/+/x", "sensors/+/temperature"];
        string[] filtersOfB = ["dev-2/#", "$SYS/broker/#", "$share/g/+/x", "+/+/+"];
        guardian.Tell(new AddSubscriptions(a.Ref, [.. filtersOfA.Select(f => Subscriptions.Of("a", f))], Durable: true));
        guardian.Tell(new AddSubscriptions(b.Ref, [.. filtersOfB.Select(f => Subscriptions.Of("b", f))]));
        foreach (var topic in new[] { "dev-1/telemetry", "dev-2/x/y", "nobody/subscribed/here", "$SYS/broker/uptime", "q/x" })
        {
            guardian.Tell(Publication(topic));
        }

        guardian.Tell(new RemoveSubscriptions("a", filtersOfA));
        guardian.Tell(new RemoveSubscriptions("b", filtersOfB));
        var subtrees = Subtrees(guardian);

        Assert.NotEmpty(subtrees);
        Assert.All(subtrees, subtree => Assert.Equal(new SubtreeCounted(Nodes: 1, Subscriptions: 0, Sessions: 0), Count(subtree)));
    }

    [Fact]
    public void A_client_that_ends_leaves_every_subtree_empty()
    {
        var guardian = Sys.ActorOf(TopicTreeGuardian.Props(() => new RoundRobinPicker(), TimeProvider.System), "topics");
        guardian.Tell(new AddSubscriptions(CreateTestProbe().Ref, [Subscriptions.Of("a", "#"), Subscriptions.Of("a", "dev-7/+")]));
        guardian.Tell(Publication("dev-7/telemetry"));

        guardian.Tell(new RemoveClient("a"));
        var subtrees = Subtrees(guardian);

        Assert.All(subtrees, subtree => Assert.Equal(new SubtreeCounted(Nodes: 1, Subscriptions: 0, Sessions: 0), Count(subtree)));
    }

    [Fact]
    public void A_guardian_without_peers_answers_a_session_waiting_for_its_subscriptions_after_its_subtrees_have_them()
    {
        var guardian = Sys.ActorOf(TopicTreeGuardian.Props(() => new RoundRobinPicker(), TimeProvider.System), "topics");
        var session = CreateTestProbe();
        guardian.Tell(new AddSubscriptions(session.Ref, [Subscriptions.Of("s", "t/#")]) { AwaitId = 7 }, session.Ref);

        Assert.Equal(7, session.ExpectMsg<SubscriptionsHeld>(Generous).AwaitId);
        guardian.Tell(Publication("t/x"));
        Assert.Equal("t/x", session.ExpectMsg<DeliverMessage>(Generous).Publish.Message.Topic);
    }

    [Fact]
    public void A_session_added_without_a_connection_is_picked_for_its_shared_group_after_the_connected_ones()
    {
        var guardian = Sys.ActorOf(TopicTreeGuardian.Props(() => new RoundRobinPicker(), TimeProvider.System), "topics");
        var offline = CreateTestProbe();
        var online = CreateTestProbe();
        guardian.Tell(new AddSubscriptions(offline.Ref, [Subscriptions.Of("offline", "$share/g/t")], Durable: true, Connected: false));
        guardian.Tell(new AddSubscriptions(online.Ref, [Subscriptions.Of("online", "$share/g/t")], Durable: true));
        for (var i = 0; i < 4; i++)
        {
            guardian.Tell(Publication("t"));
        }

        online.ReceiveN(4, Generous);
        offline.ExpectNoMsg(Quiet);
    }

    /// <summary>
    /// The guardian's children, once it has handled everything sent to it before: it forwards at once, so what it
    /// forwarded is in their mailboxes ahead of any question the test asks them.
    /// </summary>
    private List<IActorRef> Subtrees(IActorRef guardian)
    {
        guardian.Tell(new Identify("guardian"));
        ExpectMsg<ActorIdentity>(identity => Equals(identity.MessageId, "guardian"), Generous);
        Sys.ActorSelection(guardian.Path / "*").Tell(new Identify("subtree"));
        var subtrees = new List<IActorRef>();
        while (ReceiveOne(Quiet) is ActorIdentity { Subject: { } subtree })
        {
            subtrees.Add(subtree);
        }

        return subtrees;
    }

    private SubtreeCounted Count(IActorRef subtree)
    {
        subtree.Tell(CountSubtree.Instance);
        return ExpectMsg<SubtreeCounted>(Generous);
    }

    private static RoutePublish Publication(string topic) =>
        new(new PublishPacket { Topic = topic, QoS = QualityOfService.AtMostOnce, Payload = new byte[] { 1 } }, "publisher", 0);
}
