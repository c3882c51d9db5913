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
}
