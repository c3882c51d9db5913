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

    // Clients holding subscriptions here whose session has no connection: a shared group passes them over while a
    // connected member can take the message. Empty in the common case, which then picks as if it did not exist.
    private readonly HashSet<string> disconnected = new(StringComparer.Ordinal);

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

    /// <summary>
    /// Whether the client's session has a connection, for the shared groups it belongs to; a client with no
    /// subscription here is not remembered.
    /// </summary>
    public void SetConnected(string clientId, bool connected)
    {
        if (connected)
        {
            disconnected.Remove(clientId);
        }
        else if (byClient.ContainsKey(clientId))
        {
            disconnected.Add(clientId);
        }
    }

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
            disconnected.Remove(clientId);
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

        disconnected.Remove(clientId);

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
            foreach (var group in groups.Values)
            {
                deliveries.Add(Pick(group, except: null));
            }
        }
    }

    /// <summary>
    /// Another member of a shared group for a message the member first chosen could not take (its queue is full, or it
    /// has no connection and keeps no queue); false when every member is in <paramref name="refused"/> or the group is
    /// gone.
    /// </summary>
    public bool TryPickAnother(SharedGroup group, IReadOnlyCollection<string> refused, out Delivery delivery)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(refused);
        if (FindNode(group.Filter)?.Groups?.GetValueOrDefault(group.ShareName) is { } members
            && members.Members.Keys.Any(clientId => !refused.Contains(clientId)))
        {
            delivery = Pick(members, refused);
            return true;
        }

        delivery = default;
        return false;
    }

    /// <summary>
    /// The member of a group a message goes to: the picker chooses among the connected members, and among all of them
    /// only when none is connected, so that a message waits in an offline queue only when nobody can take it now.
    /// </summary>
    private Delivery Pick(Group group, IReadOnlyCollection<string>? except)
    {
        var members = group.Members;
        var member = members.GetAt(0).Value;
        if (disconnected.Count == 0 && except is null)
        {
            member = members.GetAt(Checked(picker.Pick(group.Key.ShareName, group.Key.Filter, members.Count), members.Count)).Value;
        }
        else
        {
            var candidates = 0;
            var connected = 0;
            foreach (var clientId in members.Keys)
            {
                if (except is null || !except.Contains(clientId))
                {
                    candidates++;
                    connected += disconnected.Contains(clientId) ? 0 : 1;
                }
            }

            // The picker's turn counts only the members it chooses among, so a rotation stays even over them.
            var onlyConnected = connected > 0;
            var count = onlyConnected ? connected : candidates;
            var index = Checked(picker.Pick(group.Key.ShareName, group.Key.Filter, count), count);
            foreach (var (clientId, subscription) in members)
            {
                if ((except is null || !except.Contains(clientId)) && (!onlyConnected || !disconnected.Contains(clientId)) && index-- == 0)
                {
                    member = subscription;
                    break;
                }
            }
        }

        return new Delivery(
            member.ClientId,
            member.MaximumQoS,
            member.RetainAsPublished,
            member.SubscriptionIdentifier is { } id ? [id] : NoIdentifiers)
        {
            Group = group.Key,
        };
    }

    private static int Checked(int index, int count) => (uint)index < (uint)count
        ? index
        : throw new InvalidOperationException($"the shared subscription picker chose member {index} of {count}");

    private Node? FindNode(string filter)
    {
        var node = root;
        foreach (var range in filter.AsSpan().Split('/'))
        {
            var level = filter.AsSpan()[range];
            node = level switch
            {
                "+" => node.SingleLevel,
                "#" => node.MultiLevel,
                _ => node.Children is { } children && children.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(level, out var child) ? child : null,
            };
            if (node is null)
            {
                return null;
            }
        }

        return node;
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
            node.Groups ??= new Dictionary<string, Group>(StringComparer.Ordinal);
            if (!node.Groups.TryGetValue(group, out var members))
            {
                members = new Group(new SharedGroup(group, subscription.Filter.Filter));
                node.Groups.Add(group, members);
            }

            members.Members[subscription.ClientId] = subscription;
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
            var members = node.Groups![group].Members;
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

    /// <summary>A shared group's name, made once with the group so that its deliveries share it, and its members by
    /// client id in the order they joined.</summary>
    private sealed class Group(SharedGroup key)
    {
        public SharedGroup Key { get; } = key;

        public OrderedDictionary<string, Subscription> Members { get; } = new(StringComparer.Ordinal);
    }

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

        /// <summary>Shared subscriptions ending here, by share name.</summary>
        public Dictionary<string, Group>? Groups { get; set; }

        public bool IsEmpty =>
            Children is null && SingleLevel is null && MultiLevel is null && Subscribers is null && Groups is null;
    }
}
