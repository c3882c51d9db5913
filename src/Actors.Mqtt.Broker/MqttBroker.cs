using System.Globalization;
using Actors.Mqtt.Broker.Bridges;
using Actors.Mqtt.Broker.Clustering;
using Actors.Mqtt.Broker.Connections;
using Actors.Mqtt.Broker.Extensions;
using Actors.Mqtt.Broker.Persistence;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Security;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Broker.Statistics;
using Akka;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.Singleton;
using Akka.Configuration;
using Akka.DistributedData;
using Akka.Event;
using Akka.Persistence.Query;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace Actors.Mqtt.Broker;

/// <summary>
/// The broker as the server sees it: started on an actor system, it joins that node to its own cluster, starts
/// the session shard region, the topic tree and the retained store, and turns each accepted connection into a
/// flow of bytes in and bytes out.
/// </summary>
public sealed class MqttBroker : IConnectionFlowFactory
{
    // Connection actors are named with this prefix, so that one selection reaches them all at shutdown: a subscription
    // to the event stream per connection took a lock shared by every connect and cost O(connections) each time.
    internal const string ConnectionNamePrefix = "connection-";

    private long connectionCount;
    private readonly ActorSystem system;
    private readonly BrokerSettings settings;
    private readonly IActorRef sessions;
    private readonly IActorRef topicTree;
    private readonly IActorRef retainedStore;
    private readonly IActorRef auth;
    private readonly QuestionChain? authorize;
    private readonly Flow<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>, NotUsed> connectionFlow;

    private MqttBroker(ActorSystem system, BrokerSettings settings, IActorRef sessions, IActorRef topicTree, IActorRef retainedStore, IActorRef auth, QuestionChain? authorize)
    {
        this.auth = auth;
        this.authorize = authorize;
        this.system = system;
        this.settings = settings;
        this.sessions = sessions;
        this.topicTree = topicTree;
        this.retainedStore = retainedStore;

        // One blueprint for every connection: each materialization names its actor in an attribute.
        connectionFlow = Flow.FromGraph(new ConnectionStage(settings.MaxPacketSize));
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
        var log = Logging.GetLogger(system, typeof(MqttBroker));
        var discovery = settings.Cluster.Discovery;
        var joinsOthers = cluster.Settings.SeedNodes.Count > 0 || discovery.Method is not null;
        if (discovery.Method is not null)
        {
            // Bootstrap joins: the lowest of the contact points forms the cluster when none has one, the rest join it.
            var endpoint = await BootstrapEndpoint.StartAsync(system, settings.Cluster).WaitAsync(cancellationToken).ConfigureAwait(false);
            log.Info(
                "Cluster node {Node} joining through cluster bootstrap: discovery {Method} of {Contacts}, {Required} contact points needed to form a cluster, management endpoint {Management}",
                ClusterNodeSettings.NodeOf(cluster.SelfAddress),
                discovery.Method,
                discovery.Method == ClusterDiscoverySettings.ConfigMethod ? string.Join(", ", discovery.Endpoints) : discovery.PodLabelSelector,
                discovery.RequiredContactPoints,
                endpoint.BaseUri);
        }
        else if (cluster.Settings.SeedNodes.Count == 0)
        {
            await cluster.JoinAsync(cluster.SelfAddress, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            // Akka's seed node process: never a join of this node to itself, unless it is the first seed and finds none of the others.
            log.Info("Cluster node {Node} joining through seed nodes {Seeds}", ClusterNodeSettings.NodeOf(cluster.SelfAddress), string.Join(", ", settings.Cluster.SeedNodes));
        }

        await up.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        ClusterMembership.Observe(cluster);
        if (joinsOthers)
        {
            log.Info("Cluster node {Node} is up; members: {Members}", ClusterNodeSettings.NodeOf(cluster.SelfAddress), string.Join(", ", cluster.State.Members.Select(m => ClusterNodeSettings.NodeOf(m.Address))));
        }

        // Before the actors, so that it hears what they count from the start (retained messages recovered, for one).
        var statistics = settings.SysInterval > TimeSpan.Zero ? new BrokerStatistics() : null;
        Func<ISharedSubscriptionPicker> picker = settings.SharedSubscriptionStrategy == SharedSubscriptionStrategy.Random
            ? () => new RandomPicker()
            : () => new RoundRobinPicker();
        var topicTree = system.ActorOf(TopicTreeGuardian.Props(picker, settings.Time), "topics");

        // The members already up give this node's tree their sessions' subscriptions before it serves a client.
        await topicTree.Ask<PeersReady>(AwaitPeers.Instance, TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false);
        var retained = StartRetainedStore(system, settings);
        var extensions = BrokerExtensions.Start(system, settings.Extensions);
        var acl = system.ActorOf(AclActor.Props(settings.Auth.AclFile, security.Acl), "acl");
        var auth = system.ActorOf(AuthenticationGate.Props(extensions.Authenticate, extensions.Permissions, settings.Auth, security.Passwords, acl, settings.ConnectTimeout), "auth");
        var index = SessionIndexStore.For(settings.Persistence);
        SessionIndexing? indexing = null;
        if (index is not null)
        {
            await index.InitializeAsync(cancellationToken).ConfigureAwait(false);
            var writer = system.ActorOf(SessionIndexActor.Props(index), "session-index");
            indexing = new SessionIndexing(writer, ClusterNodeSettings.NodeOf(cluster.SelfAddress).ToString());
        }

        var sessions = await ClusterSharding.Get(system).StartAsync(
            "session",
            clientId => SessionActor.Props(clientId, settings, topicTree, retained, indexing),
            ClusterShardingSettings.Create(system),
            new SessionMessageExtractor(100)).ConfigureAwait(false);
        topicTree.Tell(new UseSessionRegion(sessions));
        system.ActorOf(AttachRetrier.Props("/user/" + ConnectionNamePrefix + "*"), "attach-retrier");
        if (index is not null)
        {
            await RestoreSessionsAsync(system, settings, index, sessions, topicTree, cancellationToken).ConfigureAwait(false);
            system.ActorOf(DeadlineKeeper.Props(sessions, index, settings.Time, settings.SysInterval > TimeSpan.Zero ? settings.SysInterval : TimeSpan.FromSeconds(10)), "session-deadlines");
        }

        StartBridges(system, settings, sessions, topicTree, retained);
        if (statistics is not null)
        {
            var node = joinsOthers ? ClusterNodeSettings.NodeOf(cluster.SelfAddress).ToString() : null;
            system.ActorOf(SysTopicsActor.Props(statistics, topicTree, retained, settings.SysInterval, settings.Time, node), "sys");
        }

        return new MqttBroker(system, settings, sessions, topicTree, retained, auth, extensions.Authorize);
    }

    /// <summary>
    /// Journaled sessions stay asleep at start: their subscriptions go from the session index into this node's topic
    /// tree, and the node that forms the cluster counts every session a connection held as detached now (the broker
    /// stopped, so those connections are gone), which makes the deadlines of their wills and expiries known to the
    /// <see cref="DeadlineKeeper"/> (docs/architecture.md, "Sleeping sessions"). A store written before the index
    /// existed has no row: its sessions are woken once, and each writes its own.
    /// </summary>
    private static async Task RestoreSessionsAsync(ActorSystem system, BrokerSettings settings, SessionIndexStore index, IActorRef sessions, IActorRef topicTree, CancellationToken cancellationToken)
    {
        var forming = SessionWaker.IsOldest(Cluster.Get(system));
        if (await index.IsEmptyAsync(cancellationToken).ConfigureAwait(false))
        {
            if (forming)
            {
                await SessionWaker.WakeAllAsync(system, sessions, ReadJournal(system), settings.Time).ConfigureAwait(false);
            }

            return;
        }

        var started = settings.Time.GetTimestamp();
        if (forming)
        {
            await index.DetachAllAsync(settings.Time.GetUtcNow(), node: null, cancellationToken).ConfigureAwait(false);
        }

        var count = 0;
        await foreach (var batch in index.ReadSubscriptionsAsync(1000, cancellationToken).ConfigureAwait(false))
        {
            await topicTree.Ask<SubscriptionsRestored>(new RestoreSubscriptions(batch), TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false);
            count += batch.Count;
        }

        Logging.GetLogger(system, typeof(MqttBroker)).Info(
            "Subscriptions of {Count} sleeping sessions read from the session index in {Milliseconds} ms",
            count,
            (long)settings.Time.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>
    /// The retained store as a cluster singleton: one writer of its journal in the whole cluster, on the oldest node,
    /// handed over to the next oldest when that node leaves or is downed (docs/architecture.md, "Cluster"). Every node
    /// reaches it through a proxy, which holds messages while the singleton moves; alone, a node hosts it itself.
    /// </summary>
    private static IActorRef StartRetainedStore(ActorSystem system, BrokerSettings settings)
    {
        system.ActorOf(
            ClusterSingletonManager.Props(
                RetainedStoreActor.SupervisedProps(settings.Persistence, settings.Time),
                PoisonPill.Instance,
                ClusterSingletonManagerSettings.Create(system).WithSingletonName("store")),
            "retained");
        return system.ActorOf(
            ClusterSingletonProxy.Props("/user/retained", ClusterSingletonProxySettings.Create(system).WithSingletonName("store")),
            "retained-proxy");
    }

    /// <summary>
    /// Each bridge as a cluster singleton: one connection to its remote broker in the whole cluster, whichever node holds
    /// it, as one client id may be connected only once (docs/architecture.md, "Bridges"). Alone, a node holds them all.
    /// </summary>
    private static void StartBridges(ActorSystem system, BrokerSettings settings, IActorRef sessions, IActorRef topicTree, IActorRef retained)
    {
        foreach (var bridge in settings.Bridges)
        {
            system.ActorOf(
                ClusterSingletonManager.Props(
                    BridgeActor.SupervisedProps(bridge, settings, sessions, topicTree, retained),
                    PoisonPill.Instance,
                    ClusterSingletonManagerSettings.Create(system).WithSingletonName("bridge")),
                "bridge-" + Uri.EscapeDataString(bridge.Name));
        }
    }

    /// <summary>
    /// The configuration to create the broker's actor system with: the Akka.Persistence plugins of the configured
    /// store and the Akka.Remote and Akka.Cluster keys of <c>actors-mqtt.cluster</c> in front of <paramref name="config"/>.
    /// </summary>
    public static Config PrepareConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var settings = BrokerSettings.From(config);

        // Sharding's and distributed data's serializers from the start: another node's replicator may write to this
        // one before this one has started sharding, which would otherwise register them only then.
        return settings.Persistence.ToAkkaConfig()
            .WithFallback(settings.Cluster.ToAkkaConfig())
            .WithFallback(config)
            .WithFallback(ClusterSharding.DefaultConfig())
            .WithFallback(ClusterSingleton.DefaultConfig())
            .WithFallback(DistributedData.DefaultConfig());
    }

    /// <summary>
    /// What to create an actor system on the configured store with: <see cref="PrepareConfig"/>'s configuration, with
    /// <paramref name="front"/> in front of it, and the store's connection settings that are code, not configuration.
    /// </summary>
    public static ActorSystemSetup PrepareSetup(Config config, Config? front = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var prepared = PrepareConfig(config);
        var setup = ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(front is null ? prepared : front.WithFallback(prepared)));
        return BrokerSettings.From(config).Persistence.ToAkkaSetup() is { } store ? setup.And(store) : setup;
    }

    /// <summary>
    /// The query side of the journal. It gives up when the write journal has not made its tables within 5 s, which nodes
    /// starting together on one PostgreSQL, or a busy machine, can take longer to do: so it is asked again, for as long as
    /// a start may take.
    /// </summary>
    private static ICurrentPersistenceIdsQuery ReadJournal(ActorSystem system)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return PersistenceQuery.Get(system).ReadJournalFor<ICurrentPersistenceIdsQuery>(StoreSettings.QueryPluginId);
            }
            catch (AggregateException e) when (e.InnerException is AskTimeoutException && attempt < 12)
            {
                Logging.GetLogger(system, typeof(MqttBroker)).Warning("The journal is not ready after {Seconds} s; waiting for it", attempt * 5);
            }
        }
    }

    public Flow<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>, NotUsed> Create(ConnectionInfo connection)
    {
        var name = ConnectionNamePrefix + Interlocked.Increment(ref connectionCount).ToString(CultureInfo.InvariantCulture);
        var actor = system.ActorOf(ConnectionActor.Props(connection, settings, sessions, topicTree, retainedStore, auth, authorize), name);
        return connectionFlow.AddAttributes(new Attributes(new ConnectionOwner(actor)));
    }

    /// <summary>Reads the password and ACL files again (SIGHUP); connections stay, and use the new rules from now on.</summary>
    public void ReloadSecurityFiles() => system.EventStream.Publish(Security.ReloadSecurityFiles.Instance);

    /// <summary>Tells every connection that the server stops, before the listeners cut them off.</summary>
    public void AnnounceShutdown() => system.ActorSelection("/user/" + ConnectionNamePrefix + "*").Tell(ServerShuttingDown.Instance);
}
