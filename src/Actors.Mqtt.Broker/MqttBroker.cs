using Actors.Mqtt.Broker.Connections;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Security;
using Actors.Mqtt.Broker.Sessions;
using Akka;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Streams.Dsl;

namespace Actors.Mqtt.Broker;

/// <summary>
/// The broker as the server sees it: started on an actor system, it joins that node to its own cluster, starts
/// the session shard region, the topic tree and the retained store, and turns each accepted connection into a
/// flow of bytes in and bytes out.
/// </summary>
public sealed class MqttBroker : IConnectionFlowFactory
{
    private readonly ActorSystem system;
    private readonly BrokerSettings settings;
    private readonly IActorRef sessions;
    private readonly IActorRef topicTree;
    private readonly IActorRef retainedStore;
    private readonly IActorRef auth;

    private MqttBroker(ActorSystem system, BrokerSettings settings, IActorRef sessions, IActorRef topicTree, IActorRef retainedStore, IActorRef auth)
    {
        this.auth = auth;
        this.system = system;
        this.settings = settings;
        this.sessions = sessions;
        this.topicTree = topicTree;
        this.retainedStore = retainedStore;
    }

    /// <summary>Starts the broker's actors once this node is an Up member of its cluster.</summary>
    /// <param name="security">The password and ACL files as already loaded, or null to load them here.</param>
    /// <exception cref="SecurityFileException">A configured password or ACL file is wrong.</exception>
    public static async Task<MqttBroker> StartAsync(ActorSystem system, BrokerSettings settings, SecurityFiles? security = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(settings);
        security ??= SecurityFiles.Load(settings.Auth);
        var cluster = Cluster.Get(system);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        if (cluster.Settings.SeedNodes.Count == 0)
        {
            await cluster.JoinAsync(cluster.SelfAddress, cancellationToken).ConfigureAwait(false);
        }

        await up.Task.WaitAsync(cancellationToken).ConfigureAwait(false);

        Func<ISharedSubscriptionPicker> picker = settings.SharedSubscriptionStrategy == SharedSubscriptionStrategy.Random
            ? () => new RandomPicker()
            : () => new RoundRobinPicker();
        var topicTree = system.ActorOf(TopicTreeGuardian.Props(picker), "topics");
        var retained = system.ActorOf(RetainedStoreActor.Props(), "retained");
        var acl = system.ActorOf(AclActor.Props(settings.Auth.AclFile, security.Acl), "acl");
        var auth = system.ActorOf(AuthActor.Props(settings.Auth, security.Passwords, acl), "auth");
        var sessions = await ClusterSharding.Get(system).StartAsync(
            "session",
            clientId => SessionActor.Props(clientId, settings, topicTree, retained),
            ClusterShardingSettings.Create(system),
            new SessionMessageExtractor(100)).ConfigureAwait(false);
        return new MqttBroker(system, settings, sessions, topicTree, retained, auth);
    }

    public Flow<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>, NotUsed> Create(ConnectionInfo connection)
    {
        var actor = system.ActorOf(ConnectionActor.Props(connection, settings, sessions, topicTree, retainedStore, auth));
        var inbound = Flow.Create<ReadOnlyMemory<byte>>()
            .Via(new MqttFramingStage(settings.MaxPacketSize))
            .To(Sink.ActorRefWithAck<FrameBatch>(actor, InboundInit.Instance, InboundAck.Instance, InboundCompleted.Instance, ex => new InboundFailed(ex)));
        var outbound = Source.FromGraph(new OutboundStage(actor));
        return Flow.FromSinkAndSource(inbound, outbound);
    }

    /// <summary>Reads the password and ACL files again (SIGHUP); connections stay, and use the new rules from now on.</summary>
    public void ReloadSecurityFiles() => system.EventStream.Publish(Security.ReloadSecurityFiles.Instance);

    /// <summary>Tells every connection that the server stops, before the listeners cut them off.</summary>
    public void AnnounceShutdown() => system.EventStream.Publish(ServerShuttingDown.Instance);
}
