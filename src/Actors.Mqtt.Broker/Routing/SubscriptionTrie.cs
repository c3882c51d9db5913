using System.Runtime.InteropServices;

namespace Actors.Mqtt.Broker.Routing;

/// <summary>
/// The subscriptions of many clients, arranged by topic level so that a PUBLISH visits only the filters that can
/// match it, and the deliveries one topic name produces.
/// </summary>
/// <remarks>
/// Not thread-safe: it belongs to one actor. Levels are the <c>/</c>-separated parts of a filter, empty ones
/// included; <c>+</c> and <c>#</c> levels hang off their own links, every other level off a dictionary keyed by its
/// text.
/// </remarks>
public sealed class SubscriptionTrie
{
    private static readonly int[] NoIdentifiers = [];

    private readonly ISharedSubscriptionPicker picker;
    private readonly Node root = new(parent: null, level: string.Empty);

    // Client id, then filter text: what UNSUBSCRIBE, a replacing SUBSCRIBE and the end of a session look up.
    private readonly Dictionary<string, Dictionary<string, Entry>> byClient = new(StringComparer.Ordinal);

    // Working state of Match, kept between calls so that a warm Match allocates nothing but the deliveries.
    private readonly Dictionary<string, int> deliveryIndexByClient = new(StringComparer.Ordinal);
    private readonly Stack<(Node Node, int Start)> pending = new();

    public SubscriptionTrie(ISharedSubscriptionPicker picker)
    {
        ArgumentNullException.ThrowIfNull(picker);
        this.picker = picker;
    }

    /// <summary>How many subscriptions the trie holds, shared ones included.</summary>
    public int Count { get; private set; }

    /// <summary>Whether the client has any subscription here.</summary>
    public bool Holds(string clientId) => byClient.ContainsKey(clientId);

    /// <summary>How many nodes the trie holds, the root included; lets tests check that removal prunes.</summary>
    internal int NodeCount { get; private set; } = 1;

    /// <summary>
    /// Adds a subscription, or replaces the one the same client has with the same <see cref="Subscription.FilterText"/>
    /// (MQTT-3.8.4-3). Returns true when it replaced one.
    /// </summary>
    public bool Add(Subscription subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        if (subscription.Filter.Filter is null)
        {
            throw new ArgumentException("the subscription has no topic filter", nameof(subscription));
        }

        var filterText = subscription.FilterText;
        if (!byClient.TryGetValue(subscription.ClientId, out var entries))
        {
            entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
            byClient.Add(subscription.ClientId, entries);
        }

        var replaced = entries.TryGetValue(filterText, out var old);
        if (replaced && old.Subscription.Filter == subscription.Filter)
        {
            // In place, so that a shared member keeps its turn and the group its rotation.
            Attach(old.Node, subscription);
            entries[filterText] = old with { Subscription = subscription };
            return true;
        }

        if (replaced)
        {
            // Same text read another way (with and without shared subscriptions): it lives at another node.
            Detach(old);
        }
        else
        {
            Count++;
        }

        var node = GetOrCreateNode(subscription.Filter.Filter);
        Attach(node, subscription);
        entries[filterText] = new Entry(subscription, node);
        return replaced;
    }

    /// <summary>
    /// Removes the client's subscription whose filter text equals <paramref name="filterText"/> character for
    /// character (MQTT-3.10.4-1): wildcards are not expanded, so <c>a/+</c> does not remove <c>a/b</c>.
    /// </summary>
    public bool Remove(string clientId, string filterText)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        ArgumentNullException.ThrowIfNull(filterText);
        if (!byClient.TryGetValue(clientId, out var entries) || !entries.Remove(filterText, out var entry))
        {
            return false;
        }

        if (entries.Count == 0)
        {
            byClient.Remove(clientId);
        }

        Detach(entry);
        Count--;
        return true;
    }

    /// <summary>Removes every subscription of the client; returns how many there were.</summary>
    public int RemoveClient(string clientId)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        if (!byClient.Remove(clientId, out var entries))
        {
            return 0;
        }

        foreach (var entry in entries.Values)
        {
            Detach(entry);
        }

        Count -= entries.Count;
        return entries.Count;
    }

    /// <summary>
    /// Appends to <paramref name="deliveries"/> the copies a message published to <paramref name="topicName"/> goes
    /// out as: one per client for all its matching ordinary subscriptions together, and one per matching shared
    /// group, to the member the picker chooses.
    /// </summary>
    /// <param name="topicName">A valid topic name.</param>
    /// <param name="publisherClientId">The client that published, for No Local; null when the server publishes.</param>
    public void Match(ReadOnlySpan<char> topicName, string? publisherClientId, List<Delivery> deliveries)
    {
        ArgumentNullException.ThrowIfNull(deliveries);
        deliveryIndexByClient.Clear();
        pending.Clear();

        // MQTT-4.7.2-1: a filter has to spell out the first level of a $ topic, so no wildcard matches it there.
        var isSystemTopic = topicName.Length > 0 && topicName[0] == '$';

        // Each state is a node whose filter levels matched the topic up to Start; a Start past the end means the
        // topic's last level has been matched too. The stack instead of recursion keeps a topic of thousands of
        // empty levels from overflowing the thread's stack.
        pending.Push((root, 0));
        while (pending.TryPop(out var state))
        {
            var (node, start) = state;
            if (start > topicName.Length)
            {
                Collect(node, publisherClientId, deliveries);
                if (node.MultiLevel is { } parentLevelToo)
                {
                    // "sport/#" matches "sport": the multi-level wildcard stands for the parent level too.
                    Collect(parentLevelToo, publisherClientId, deliveries);
                }

                continue;
            }

            var wildcardsMatch = start > 0 || !isSystemTopic;
            if (wildcardsMatch && node.MultiLevel is { } anyLevels)
            {
                Collect(anyLevels, publisherClientId, deliveries);
            }

            var rest = topicName[start..];
            var separator = rest.IndexOf('/');
            var level = separator < 0 ? rest : rest[..separator];
            var next = start + level.Length + 1;
            if (wildcardsMatch && node.SingleLevel is { } anyLevel)
            {
                pending.Push((anyLevel, next));
            }

            if (node.Children is { } children
                && children.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(level, out var child))
            {
                pending.Push((child, next));
            }
        }
    }

    private void Collect(Node node, string? publisherClientId, List<Delivery> deliveries)
    {
        if (node.Subscribers is { } subscribers)
        {
            foreach (var subscription in subscribers.Values)
            {
                // MQTT-3.8.3-3: No Local keeps a client's own messages from coming back to it.
                if (subscription.NoLocal && subscription.ClientId == publisherClientId)
                {
                    continue;
                }

                Merge(subscription, deliveries);
            }
        }

        if (node.Groups is { } groups)
        {
            foreach (var (group, members) in groups)
            {
                var filter = members.GetAt(0).Value.Filter.Filter;
                var index = picker.Pick(group, filter, members.Count);
                if ((uint)index >= (uint)members.Count)
                {
                    throw new InvalidOperationException(
                        $"the shared subscription picker chose member {index} of {members.Count}");
                }

                var member = members.GetAt(index).Value;
                deliveries.Add(new Delivery(
                    member.ClientId,
                    member.MaximumQoS,
                    member.RetainAsPublished,
                    member.SubscriptionIdentifier is { } id ? [id] : NoIdentifiers));
            }
        }
    }

    // One delivery per client however many of its subscriptions match (MQTT-3.3.4-2, MQTT-3.3.4-3).
    private void Merge(Subscription subscription, List<Delivery> deliveries)
    {
        ref var index = ref CollectionsMarshal.GetValueRefOrAddDefault(
            deliveryIndexByClient, subscription.ClientId, out var seen);
        if (!seen)
        {
            index = deliveries.Count;
            deliveries.Add(new Delivery(
                subscription.ClientId,
                subscription.MaximumQoS,
                subscription.RetainAsPublished,
                subscription.SubscriptionIdentifier is { } id ? [id] : NoIdentifiers));
            return;
        }

        var earlier = deliveries[index];
        deliveries[index] = new Delivery(
            earlier.ClientId,
            subscription.MaximumQoS > earlier.MaximumQoS ? subscription.MaximumQoS : earlier.MaximumQoS,
            earlier.RetainAsPublished || subscription.RetainAsPublished,
            subscription.SubscriptionIdentifier is { } more
                ? Append(earlier.SubscriptionIdentifiers, more)
                : earlier.SubscriptionIdentifiers);
    }

    private static int[] Append(IReadOnlyList<int> identifiers, int identifier)
    {
        var result = new int[identifiers.Count + 1];
        for (var i = 0; i < identifiers.Count; i++)
        {
            result[i] = identifiers[i];
        }

        result[^1] = identifier;
        return result;
    }

    private Node GetOrCreateNode(string filter)
    {
        var node = root;
        foreach (var range in filter.AsSpan().Split('/'))
        {
            var level = filter.AsSpan()[range];
            if (level is "+")
            {
                node = node.SingleLevel ??= NewNode(node, "+");
            }
            else if (level is "#")
            {
                node = node.MultiLevel ??= NewNode(node, "#");
            }
            else
            {
                node.Children ??= new Dictionary<string, Node>(StringComparer.Ordinal);
                if (!node.Children.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(level, out var child))
                {
                    child = NewNode(node, level.ToString());
                    node.Children.Add(child.Level, child);
                }

                node = child;
            }
        }

        return node;
    }

    private Node NewNode(Node parent, string level)
    {
        NodeCount++;
        return new Node(parent, level);
    }

    private static void Attach(Node node, Subscription subscription)
    {
        if (subscription.Filter.ShareName is { } group)
        {
            node.Groups ??= new Dictionary<string, OrderedDictionary<string, Subscription>>(StringComparer.Ordinal);
            if (!node.Groups.TryGetValue(group, out var members))
            {
                members = new OrderedDictionary<string, Subscription>(StringComparer.Ordinal);
                node.Groups.Add(group, members);
            }

            members[subscription.ClientId] = subscription;
        }
        else
        {
            node.Subscribers ??= new Dictionary<string, Subscription>(StringComparer.Ordinal);
            node.Subscribers[subscription.ClientId] = subscription;
        }
    }

    private void Detach(Entry entry)
    {
        var (subscription, node) = entry;
        if (subscription.Filter.ShareName is { } group)
        {
            var members = node.Groups![group];
            members.Remove(subscription.ClientId);
            if (members.Count == 0)
            {
                node.Groups.Remove(group);
                picker.Forget(group, subscription.Filter.Filter);
                if (node.Groups.Count == 0)
                {
                    node.Groups = null;
                }
            }
        }
        else
        {
            node.Subscribers!.Remove(subscription.ClientId);
            if (node.Subscribers.Count == 0)
            {
                node.Subscribers = null;
            }
        }

        Prune(node);
    }

    // Unlinks the node and then each ancestor left with nothing, so that churn of distinct filters leaves no trace.
    private void Prune(Node node)
    {
        while (node.Parent is { } parent && node.IsEmpty)
        {
            if (ReferenceEquals(parent.SingleLevel, node))
            {
                parent.SingleLevel = null;
            }
            else if (ReferenceEquals(parent.MultiLevel, node))
            {
                parent.MultiLevel = null;
            }
            else
            {
                parent.Children!.Remove(node.Level);
                if (parent.Children.Count == 0)
                {
                    parent.Children = null;
                }
            }

            NodeCount--;
            node = parent;
        }
    }

    private readonly record struct Entry(Subscription Subscription, Node Node);

    private sealed class Node(Node? parent, string level)
    {
        public Node? Parent { get; } = parent;

        public string Level { get; } = level;

        // Each collection exists only while it has something in it: most nodes are interior or hold few kinds.
        public Dictionary<string, Node>? Children { get; set; }

        public Node? SingleLevel { get; set; }

        public Node? MultiLevel { get; set; }

        /// <summary>Ordinary subscriptions ending here, by client id.</summary>
        public Dictionary<string, Subscription>? Subscribers { get; set; }

        /// <summary>Shared subscriptions ending here, by share name, then client id in the order they joined.</summary>
        public Dictionary<string, OrderedDictionary<string, Subscription>>? Groups { get; set; }

        public bool IsEmpty =>
            Children is null && SingleLevel is null && MultiLevel is null && Subscribers is null && Groups is null;
    }
}
