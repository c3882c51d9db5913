using Actors.Mqtt.Broker;
using Akka.Actor;
using Akka.Cluster;

namespace Actors.Mqtt.Server.Operations;

/// <summary>
/// What <c>/ready</c> answers: ready once the host has started (the broker is up and Kestrel has bound every listener)
/// and while this node is an Up member of its cluster and the journal takes writes; not ready from the moment shutdown
/// begins, so a load balancer stops sending clients before the listeners close.
/// </summary>
internal sealed class Readiness(IHostApplicationLifetime lifetime, IServiceProvider services)
{
    // Registered with the broker; a host without one (the echo server of the transport tests) has no journal to check.
    private readonly JournalProbe? journal = services.GetService<JournalProbe>();
    private readonly ActorSystem? system = services.GetService<ActorSystem>();

    /// <summary>Null when ready, else a short reason for the operator.</summary>
    public async Task<string?> ProblemAsync(CancellationToken cancellationToken)
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return "shutting down";
        }

        if (!lifetime.ApplicationStarted.IsCancellationRequested)
        {
            return "starting: listeners not bound yet";
        }

        // A node the others downed, or one leaving, takes no clients: their sessions live on the other nodes now.
        if (system is not null && Cluster.Get(system).SelfMember.Status is var status && status != MemberStatus.Up)
        {
            return $"cluster member {BrokerMetrics.Label(status.ToString())}, not up";
        }

        return journal is null ? null : await journal.CheckAsync(cancellationToken).ConfigureAwait(false);
    }
}
