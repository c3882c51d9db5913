using Akka.Actor;

namespace Actors.Mqtt.Broker.Routing;

/// <summary>
/// Parent of the topic subtrees: a fixed set of <see cref="TopicTreeActor"/>s, each owning the first topic levels
/// that hash to it, so publications to different subtrees are matched in parallel while the number of actors stays
/// the same however many first levels are published (docs/architecture.md, "Topic tree"). A filter whose first level
/// is a wildcard can match in every subtree, so each subtree holds it once; a publication is then matched by exactly
/// one subtree.
/// </summary>
public sealed class TopicTreeGuardian : ReceiveActor
{
    /// <summary>
    /// How many subtree actors there are: twice the cores, so that two busy first levels seldom share one on a large
    /// machine, and at least 16, so that a connection's cache of subtrees stays small and full on a small one.
    /// </summary>
    public static readonly int SubtreeCount = Math.Max(16, 2 * Environment.ProcessorCount);

    private readonly IActorRef[] subtrees;

    public TopicTreeGuardian(Func<ISharedSubscriptionPicker> pickerFactory, TimeProvider time)
    {
        subtrees = new IActorRef[SubtreeCount];
        for (var i = 0; i < subtrees.Length; i++)
        {
            subtrees[i] = Context.ActorOf(TopicTreeActor.Props(pickerFactory(), time), "subtree-" + i);
        }

        Receive<AddSubscriptions>(Add);
        Receive<RemoveSubscriptions>(ToEverySubtree);
        Receive<RemoveClient>(ToEverySubtree);
        Receive<SessionPresence>(ToEverySubtree);
        Receive<RoutePublish>(p => subtrees[SubtreeOf(p.Message.Topic)].Forward(p));
        Receive<UseSessionRegion>(ToEverySubtree);
        Receive<ResolveSubtree>(r => Sender.Tell(new SubtreeResolved(r.Index, subtrees[r.Index])));
    }

    /// <summary>
    /// A subtree that fails on one publication keeps its subscriptions and goes on: restarting it would empty its
    /// trie and silently stop every delivery in that subtree.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(_ => Directive.Resume);

    public static Props Props(Func<ISharedSubscriptionPicker> pickerFactory, TimeProvider time) =>
        Akka.Actor.Props.Create(() => new TopicTreeGuardian(pickerFactory, time));

    /// <summary>
    /// The subtree that owns the first level of <paramref name="topic"/> (a topic name, or a filter whose first
    /// level is no wildcard).
    /// </summary>
    /// <remarks>
    /// The string hash of .NET, seeded at random once per process: stable for the life of the broker, which is all the
    /// connections and the guardian need to agree, and not one a client can aim many first levels at one subtree with.
    /// </remarks>
    public static int SubtreeOf(string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        var slash = topic.IndexOf('/', StringComparison.Ordinal);
        var level = slash < 0 ? topic.AsSpan() : topic.AsSpan(0, slash);
        return (int)((uint)string.GetHashCode(level) % (uint)SubtreeCount);
    }

    private void Add(AddSubscriptions add)
    {
        var bySubtree = new List<Subscription>?[subtrees.Length];
        foreach (var subscription in add.Subscriptions)
        {
            // A wildcard fills its whole level, so a filter that starts with one has it as its first level.
            if (subscription.Filter.Filter is ['+' or '#', ..])
            {
                for (var i = 0; i < bySubtree.Length; i++)
                {
                    (bySubtree[i] ??= []).Add(subscription);
                }
            }
            else
            {
                (bySubtree[SubtreeOf(subscription.Filter.Filter)] ??= []).Add(subscription);
            }
        }

        for (var i = 0; i < bySubtree.Length; i++)
        {
            if (bySubtree[i] is { } subscriptions)
            {
                subtrees[i].Tell(new AddSubscriptions(add.Session, subscriptions, add.Durable));
            }
        }
    }

    // Removals are rare next to publications, and there are few subtrees: every one is told, rather than each filter
    // text parsed here to find its own.
    private void ToEverySubtree(object message)
    {
        foreach (var subtree in subtrees)
        {
            subtree.Tell(message);
        }
    }
}
