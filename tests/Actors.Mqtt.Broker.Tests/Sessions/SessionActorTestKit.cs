using Actors.Mqtt.Broker.Routing;
using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;

namespace Actors.Mqtt.Broker.Tests.Sessions;

/// <summary>
/// A TestKit for driving real <see cref="Broker.Sessions.SessionActor"/>s with probes for their connections: on the
/// in-memory journal, or on the <see cref="GatedJournal"/> whose writes a test can hold; with Akka's
/// <see cref="Akka.TestKit.TestScheduler"/> when a test moves the timers itself.
/// </summary>
public abstract class SessionActorTestKit(bool gated = false, bool testScheduler = false)
    : TestKit((gated ? GatedConfig : InMemoryConfig) + (testScheduler ? "\n" + TestSchedulerConfig : string.Empty))
{
    protected static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);
    protected static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);
    protected static readonly BrokerSettings Settings = BrokerSettings.From(BrokerSettings.Reference);

    private const string InMemoryConfig = """
        akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """;

    private const string TestSchedulerConfig = """
        akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit"
        """;

    private const string GatedConfig = """
        akka.persistence.journal.plugin = "akka.persistence.journal.gated"
        akka.persistence.journal.gated.class = "Actors.Mqtt.Broker.Tests.Sessions.GatedJournal, Actors.Mqtt.Broker.Tests"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
        """;

    /// <summary>
    /// A probe in the place of the topic tree that answers a session waiting for its subscriptions to be held, as the
    /// guardian of a node without peers does, so that SUBACK goes out, and names itself as every subtree, so that each
    /// message a session publishes reaches it; it records every message as any probe does.
    /// </summary>
    protected TestProbe TreeProbe()
    {
        var probe = CreateTestProbe();
        probe.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
        {
            if (message is AddSubscriptions { AwaitId: not 0 } add)
            {
                sender.Tell(new SubscriptionsHeld(add.AwaitId));
            }
            else if (message is ResolveSubtree resolve)
            {
                sender.Tell(new SubtreeResolved(resolve.Index, probe.Ref));
            }

            return AutoPilot.KeepRunning;
        }));
        return probe;
    }
}
