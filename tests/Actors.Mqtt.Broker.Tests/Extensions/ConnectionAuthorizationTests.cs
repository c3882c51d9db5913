using Actors.Mqtt.Broker.Connections;
using Actors.Mqtt.Broker.Extensions;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Akka.Actor;
using Akka.TestKit;

namespace Actors.Mqtt.Broker.Tests.Extensions;

/// <summary>
/// A connection asks the operator's authorizing extensions (here a probe that answers when the test says) before it
/// routes a PUBLISH or passes a SUBSCRIBE on, keeps what they said per topic, and keeps the packets read meanwhile in
/// their order.
/// </summary>
public sealed class ConnectionAuthorizationTests : Tests.Connections.ConnectionActorTestKit
{
    private readonly TestProbe extension;

    public ConnectionAuthorizationTests() => extension = CreateTestProbe();

    private QuestionChain Chain(TimeSpan? timeout = null, TimeoutAnswer onTimeout = TimeoutAnswer.Deny) =>
        new([new QuestionLink("probe", extension.Ref, timeout ?? TimeSpan.FromMinutes(1), onTimeout)]);

    [Fact]
    public void A_publish_waits_for_the_extension_with_what_was_read_after_it_and_a_denial_is_answered_with_its_code()
    {
        Connect(authorize: Chain());
        Read(
            new PublishPacket { Topic = "locked/1", QoS = QualityOfService.AtLeastOnce, PacketId = 1, Payload = new byte[] { 1 } },
            new PublishPacket { Topic = "open/1", Payload = new byte[] { 2 } });

        var first = extension.ExpectMsg<AuthorizeClient>(Generous);
        var firstAsker = extension.LastSender;
        Assert.Equal((ClientAction.Publish, "locked/1", "paced"), (first.Action, first.Topic, first.Client.ClientId));

        // Nothing behind the first PUBLISH is handled, nor more read, until the extension answered.
        extension.ExpectNoMsg(Quiet);
        Topics.ExpectNoMsg(Quiet);
        Inbound.ExpectNoMsg(Quiet);

        firstAsker.Tell(Verdict.Deny(ReasonCode.QuotaExceeded, "locked"));
        var ack = Assert.IsType<PubAckPacket>(Outbound.FishForMessage<OutboundPacket>(_ => true, Generous).Packet);
        Assert.Equal((1, ReasonCode.QuotaExceeded), (ack.PacketId, ack.ReasonCode));
        Connection.Tell(new OutboundWritten(1));

        Assert.Equal("open/1", extension.ExpectMsg<AuthorizeClient>(Generous).Topic);
        var secondAsker = extension.LastSender;
        Topics.ExpectNoMsg(Quiet);
        secondAsker.Tell(Verdict.Allow);
        Assert.Equal("open/1", Topics.ExpectMsg<RoutePublish>(Generous).Message.Topic);
        Inbound.ExpectMsg<InboundAck>(Generous);

        // Both answers are kept: neither topic is asked about again.
        Read(
            new PublishPacket { Topic = "open/1", Payload = new byte[] { 3 } },
            new PublishPacket { Topic = "locked/1", QoS = QualityOfService.AtLeastOnce, PacketId = 2, Payload = new byte[] { 4 } });
        var second = Assert.IsType<PubAckPacket>(Outbound.FishForMessage<OutboundPacket>(_ => true, Generous).Packet);
        Assert.Equal((2, ReasonCode.QuotaExceeded), (second.PacketId, second.ReasonCode));
        extension.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void A_subscribe_gets_each_filter_asked_and_the_denied_ones_are_refused()
    {
        Connect(authorize: Chain());
        Read(new SubscribePacket
        {
            PacketId = 7,
            Subscriptions = [new MqttSubscription("locked/#"), new MqttSubscription("$share/g/open/#") { MaximumQoS = QualityOfService.AtLeastOnce }],
        });

        var asked = Enumerable.Range(0, 2).Select(_ => (Question: extension.ExpectMsg<AuthorizeClient>(Generous), AskedBy: extension.LastSender)).ToList();
        Assert.Equal(["locked/#", "open/#"], asked.Select(a => a.Question.Topic).Order());
        Assert.All(asked, a => Assert.Equal(ClientAction.Subscribe, a.Question.Action));
        Session.ExpectNoMsg(Quiet);

        foreach (var (question, askedBy) in asked)
        {
            askedBy.Tell(question.Topic == "locked/#" ? Verdict.Deny(ReasonCode.NotAuthorized, "locked") : Verdict.NoOpinion);
        }

        var request = Session.FishForMessage<SubscribeRequest>(_ => true, Generous);
        Assert.Equal([true, false], request.Denied);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_will_is_asked_about_as_a_publish_and_a_denied_one_is_dropped(bool deny)
    {
        var will = new MqttWill("wills/paced", new byte[] { 1 }) { QoS = QualityOfService.AtLeastOnce };
        var attach = Connect(authorize: Chain(), will: will, attach: false, accepted: () =>
        {
            var question = extension.ExpectMsg<AuthorizeClient>(Generous);
            Assert.Equal((ClientAction.Publish, "wills/paced", QualityOfService.AtLeastOnce), (question.Action, question.Topic, question.QoS));
            extension.Reply(deny ? Verdict.Deny(ReasonCode.NotAuthorized, "no wills") : Verdict.Allow);
        });

        var asked = Assert.IsType<AttachSession>(attach.Message);
        Assert.Equal(deny ? null : "wills/paced", asked.Will?.Topic);
    }

    [Fact]
    public void Without_a_cache_each_publish_is_asked_about_once_and_handled_as_answered()
    {
        Connect(authorize: Chain(), extensionCacheTtl: TimeSpan.Zero);
        for (var i = 1; i <= 2; i++)
        {
            Read(new PublishPacket { Topic = "open/1", Payload = new byte[] { (byte)i } });
            extension.ExpectMsg<AuthorizeClient>(Generous);
            extension.Reply(Verdict.Allow);
            extension.ExpectNoMsg(Quiet);
            Inbound.ExpectMsg<InboundAck>(Generous);
        }
    }

    [Fact]
    public void An_extension_that_never_answers_gets_its_on_timeout_answer()
    {
        Connect(authorize: Chain(TimeSpan.FromMilliseconds(200), TimeoutAnswer.Allow));
        Read(new PublishPacket { Topic = "slow/1", Payload = new byte[] { 1 } });

        extension.ExpectMsg<AuthorizeClient>(Generous);
        Assert.Equal("slow/1", Topics.ExpectMsg<RoutePublish>(Generous).Message.Topic);
    }
}
