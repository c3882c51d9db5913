using Actors.Mqtt.Broker.Connections;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.TestKit.Xunit2;

namespace Actors.Mqtt.Broker.Tests.Connections;

/// <summary>How the inbound end of a connection's stream talks to its actor, found through the ConnectionOwner attribute.</summary>
public sealed class InboundSinkTests : TestKit
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    [Fact]
    public void Each_batch_waits_for_the_acknowledgement_of_the_one_before_and_the_end_follows_the_last()
    {
        var owner = CreateTestProbe();
        var batches = Enumerable.Range(0, 3).Select(_ => new FrameBatch([], null)).ToList();
        Source.From(batches).To(new InboundSink()).AddAttributes(new Attributes(new ConnectionOwner(owner.Ref))).Run(Sys.Materializer());

        owner.ExpectMsg<InboundInit>(Generous);
        var stage = owner.LastSender;
        owner.ExpectNoMsg(Quiet);

        foreach (var batch in batches)
        {
            stage.Tell(InboundAck.Instance);
            Assert.Same(batch, owner.ExpectMsg<FrameBatch>(Generous));
            Assert.Equal(stage, owner.LastSender);
            if (batch != batches[^1])
            {
                owner.ExpectNoMsg(Quiet);
            }
        }

        owner.ExpectMsg<InboundCompleted>(Generous);
    }

    [Fact]
    public void A_failed_stream_tells_the_actor_why()
    {
        var owner = CreateTestProbe();
        Source.Failed<FrameBatch>(new IOException("reset by peer")).To(new InboundSink()).AddAttributes(new Attributes(new ConnectionOwner(owner.Ref))).Run(Sys.Materializer());

        owner.ExpectMsg<InboundInit>(Generous);
        Assert.Equal("reset by peer", owner.FishForMessage<InboundFailed>(_ => true, Generous).Cause.Message);
    }

    [Fact]
    public async Task The_stream_stops_reading_when_its_actor_is_gone()
    {
        var owner = CreateTestProbe();
        var done = Source.Maybe<FrameBatch>()
            .WatchTermination(Keep.Right)
            .ToMaterialized(new InboundSink(), Keep.Left)
            .AddAttributes(new Attributes(new ConnectionOwner(owner.Ref)))
            .Run(Sys.Materializer());
        owner.ExpectMsg<InboundInit>(Generous);

        Sys.Stop(owner.Ref);

        await done.WaitAsync(Generous);
    }
}
