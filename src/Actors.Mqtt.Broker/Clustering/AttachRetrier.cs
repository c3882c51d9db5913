using Actors.Mqtt.Broker.Connections;
using Akka.Actor;
using Akka.Cluster;

namespace Actors.Mqtt.Broker.Clustering;

/// <summary>
/// Tells this node's connections to ask for their session again when a member is removed from the cluster. Between a
/// member's death and its removal, the shard region still sends its sessions' messages there, where they are lost; an
/// AttachSession among them would leave its connection waiting until the connect timeout. Told at the removal and once
/// more a little later, since the shard region learns of the removal on its own and may not have yet; connections
/// that are not waiting ignore it.
/// </summary>
public sealed class AttachRetrier : ReceiveActor, IWithTimers
{
    private const string AgainTimer = "again";
    private static readonly TimeSpan Again = TimeSpan.FromSeconds(2);

    private readonly Cluster cluster = Cluster.Get(Context.System);

    public AttachRetrier(string connections)
    {
        var selection = Context.ActorSelection(connections);
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
        Receive<ClusterEvent.MemberRemoved>(_ =>
        {
            selection.Tell(AttachAgain.Instance);
            Timers.StartSingleTimer(AgainTimer, AttachAgain.Instance, Again);
        });
        Receive<AttachAgain>(again => selection.Tell(again));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="connections">The path of every connection actor, with a wildcard.</param>
    public static Props Props(string connections) => Akka.Actor.Props.Create(() => new AttachRetrier(connections));

    protected override void PreStart() =>
        cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.MemberRemoved));

    protected override void PostStop() => cluster.Unsubscribe(Self);
}
