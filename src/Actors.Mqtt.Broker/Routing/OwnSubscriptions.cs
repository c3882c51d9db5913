using Akka.Actor;

namespace Actors.Mqtt.Broker.Routing;

/// <summary>
/// The subscriptions of the sessions that live on this node, as their topic tree changes say: what this node's guardian
/// gives a node that joins the cluster, whose topic tree holds nothing yet. Every other node's sessions are that node's
/// to give.
/// </summary>
internal sealed class OwnSubscriptions
{
    private readonly Dictionary<string, Entry> sessions = new(StringComparer.Ordinal);

    public int Count => sessions.Count;

    /// <summary>Takes in a change a session of this node made; other messages are ignored.</summary>
    public void Apply(object change)
    {
        switch (change)
        {
            case AddSubscriptions { Subscriptions: [var first, ..] } add:
                {
                    if (!sessions.TryGetValue(first.ClientId, out var entry))
                    {
                        entry = new Entry();
                        sessions[first.ClientId] = entry;
                    }

                    entry.Session = add.Session;
                    entry.Durable = add.Durable;
                    entry.Connected = add.Connected;
                    foreach (var subscription in add.Subscriptions)
                    {
                        entry.Subscriptions[subscription.FilterText] = subscription;
                    }

                    break;
                }

            case RemoveSubscriptions remove when sessions.TryGetValue(remove.ClientId, out var entry):
                foreach (var text in remove.FilterTexts)
                {
                    entry.Subscriptions.Remove(text);
                }

                if (entry.Subscriptions.Count == 0)
                {
                    sessions.Remove(remove.ClientId);
                }

                break;

            case RemoveClient remove:
                sessions.Remove(remove.ClientId);
                break;

            case SessionPresence presence when sessions.TryGetValue(presence.ClientId, out var entry):
                entry.Connected = presence.Connected;
                break;
        }
    }

    /// <summary>One <see cref="AddSubscriptions"/> per session: the whole table, as a node that joins must receive it.</summary>
    public IEnumerable<AddSubscriptions> ToAdds() =>
        sessions.Values.Select(e => new AddSubscriptions(e.Session, [.. e.Subscriptions.Values], e.Durable, e.Connected));

    private sealed class Entry
    {
        public IActorRef Session { get; set; } = ActorRefs.Nobody;

        public bool Durable { get; set; }

        public bool Connected { get; set; }

        public Dictionary<string, Subscription> Subscriptions { get; } = new(StringComparer.Ordinal);
    }
}
