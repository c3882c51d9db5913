using Akka.Actor;

namespace Actors.Mqtt.Broker.Routing;

/// <summary>
/// Parent of the topic subtrees: one <see cref="TopicTreeActor"/> per first topic level, so publications to
/// different subtrees are matched in parallel. A filter whose first level is a wildcard can match in every
/// subtree, so it is kept here and copied into each subtree, including ones created later; a publication is
/// then matched by exactly one subtree.
/// </summary>
public sealed class TopicTreeGuardian : ReceiveActor
{
    private readonly Func<ISharedSubscriptionPicker> pickerFactory;
    private readonly Dictionary<string, IActorRef> subtrees = new(StringComparer.Ordinal);
    private UseSessionRegion? sessionRegion;
    private readonly Dictionary<(string ClientId, string FilterText), (Subscription Subscription, IActorRef Session, bool Durable)> rootWildcards = [];

    public TopicTreeGuardian(Func<ISharedSubscriptionPicker> pickerFactory)
    {
        this.pickerFactory = pickerFactory;
        Receive<AddSubscriptions>(Add);
        Receive<RemoveSubscriptions>(Remove);
        Receive<RemoveClient>(RemoveClient);
        Receive<RoutePublish>(p => Subtree(FirstLevel(p.Message.Topic)).Forward(p));
        Receive<UseSessionRegion>(use =>
        {
            sessionRegion = use;
            foreach (var subtree in subtrees.Values)
            {
                subtree.Tell(use);
            }
        });
        Receive<ResolveSubtree>(r => Sender.Tell(new SubtreeResolved(r.FirstLevel, Subtree(r.FirstLevel))));
    }

    /// <summary>
    /// A subtree that fails on one publication keeps its subscriptions and goes on: restarting it would empty its
    /// trie and silently stop every delivery in that subtree.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(_ => Directive.Resume);

    public static Props Props(Func<ISharedSubscriptionPicker> pickerFactory) =>
        Akka.Actor.Props.Create(() => new TopicTreeGuardian(pickerFactory));

    public static string FirstLevel(string topic)
    {
        var slash = topic.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? topic : topic[..slash];
    }

    private void Add(AddSubscriptions add)
    {
        foreach (var group in add.Subscriptions.GroupBy(s => FirstLevel(s.Filter.Filter)))
        {
            var subscriptions = group.ToList();
            if (group.Key is "+" or "#")
            {
                foreach (var s in subscriptions)
                {
                    rootWildcards[(s.ClientId, s.FilterText)] = (s, add.Session, add.Durable);
                }

                var message = new AddSubscriptions(add.Session, subscriptions, add.Durable);
                foreach (var subtree in subtrees.Values)
                {
                    subtree.Tell(message);
                }
            }
            else
            {
                Subtree(group.Key).Tell(new AddSubscriptions(add.Session, subscriptions, add.Durable));
            }
        }
    }

    // Removals are rare next to publications, so they go to every subtree rather than parsing filters here.
    private void Remove(RemoveSubscriptions remove)
    {
        foreach (var text in remove.FilterTexts)
        {
            rootWildcards.Remove((remove.ClientId, text));
        }

        foreach (var subtree in subtrees.Values)
        {
            subtree.Tell(remove);
        }
    }

    private void RemoveClient(RemoveClient remove)
    {
        foreach (var key in rootWildcards.Keys.Where(k => k.ClientId == remove.ClientId).ToList())
        {
            rootWildcards.Remove(key);
        }

        foreach (var subtree in subtrees.Values)
        {
            subtree.Tell(remove);
        }
    }

    private IActorRef Subtree(string firstLevel)
    {
        if (subtrees.TryGetValue(firstLevel, out var subtree))
        {
            return subtree;
        }

        subtree = Context.ActorOf(TopicTreeActor.Props(pickerFactory()), "level-" + Uri.EscapeDataString(firstLevel));
        if (sessionRegion is not null)
        {
            subtree.Tell(sessionRegion);
        }

        foreach (var bySession in rootWildcards.Values.GroupBy(v => (v.Session, v.Durable)))
        {
            subtree.Tell(new AddSubscriptions(bySession.Key.Session, bySession.Select(v => v.Subscription).ToList(), bySession.Key.Durable));
        }

        subtrees[firstLevel] = subtree;
        return subtree;
    }
}
