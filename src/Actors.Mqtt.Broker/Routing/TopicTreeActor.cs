using Akka.Actor;

namespace Actors.Mqtt.Broker.Routing;

/// <summary>
/// The subscriptions of one first-level topic subtree (plus the root wildcards), and the matching of every
/// publication to that subtree: one <see cref="DeliverMessage"/> per matching session.
/// </summary>
public sealed class TopicTreeActor : ReceiveActor
{
    private readonly SubscriptionTrie trie;
    private readonly Dictionary<string, IActorRef> sessions = new(StringComparer.Ordinal);
    private readonly List<Delivery> deliveries = [];

    public TopicTreeActor(ISharedSubscriptionPicker picker)
    {
        trie = new SubscriptionTrie(picker);
        Receive<AddSubscriptions>(add =>
        {
            foreach (var s in add.Subscriptions)
            {
                trie.Add(s);
                sessions[s.ClientId] = add.Session;
            }
        });
        Receive<RemoveSubscriptions>(remove =>
        {
            foreach (var text in remove.FilterTexts)
            {
                trie.Remove(remove.ClientId, text);
            }
        });
        Receive<RemoveClient>(remove =>
        {
            trie.RemoveClient(remove.ClientId);
            sessions.Remove(remove.ClientId);
        });
        Receive<RoutePublish>(Route);
    }

    public static Props Props(ISharedSubscriptionPicker picker) => Akka.Actor.Props.Create(() => new TopicTreeActor(picker));

    private void Route(RoutePublish publish)
    {
        deliveries.Clear();
        trie.Match(publish.Message.Topic, publish.PublisherClientId, deliveries);
        foreach (var delivery in deliveries)
        {
            if (sessions.TryGetValue(delivery.ClientId, out var session))
            {
                session.Tell(new DeliverMessage(publish, delivery));
            }
        }
    }
}
