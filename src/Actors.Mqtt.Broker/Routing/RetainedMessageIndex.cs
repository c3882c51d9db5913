using Actors.Mqtt.Protocol.Topics;

namespace Actors.Mqtt.Broker.Routing;

/// <summary>
/// The retained message of each topic name, arranged by topic level so that a new subscription's filter visits only
/// the topics it can match.
/// </summary>
/// <remarks>
/// Not thread-safe: it belongs to one actor. It stores and removes what it is told; whether a PUBLISH sets or clears
/// (an empty payload clears, MQTT-3.3.1-6) and whether a subscription gets retained messages at all is the caller's
/// business.
/// </remarks>
public sealed class RetainedMessageIndex<TMessage>
{
    private readonly Node root = new(parent: null, level: string.Empty);

    // Working state of Match, kept between calls; a stack rather than recursion because levels can be thousands deep.
    private readonly Stack<(Node Node, int Start)> pending = new();
    private readonly Stack<Node> subtree = new();

    /// <summary>How many topics have a retained message.</summary>
    public int Count { get; private set; }

    /// <summary>How many nodes the index holds, the root included; lets tests check that clearing prunes.</summary>
    internal int NodeCount { get; private set; } = 1;

    /// <summary>Stores <paramref name="message"/> as the retained message of the topic, replacing any earlier one.</summary>
    public void Set(string topicName, TMessage message)
    {
        ArgumentNullException.ThrowIfNull(topicName);
        var node = root;
        foreach (var range in topicName.AsSpan().Split('/'))
        {
            var level = topicName.AsSpan()[range];
            node.Children ??= new Dictionary<string, Node>(StringComparer.Ordinal);
            if (!node.Children.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(level, out var child))
            {
                child = new Node(node, level.ToString());
                node.Children.Add(child.Level, child);
                NodeCount++;
            }

            node = child;
        }

        if (node.TopicName is null)
        {
            Count++;
        }

        node.TopicName = topicName;
        node.Message = message;
    }

    /// <summary>Every retained message, for a snapshot of the store.</summary>
    public IEnumerable<TMessage> All()
    {
        var stack = new Stack<Node>();
        stack.Push(root);
        while (stack.TryPop(out var node))
        {
            if (node.TopicName is not null)
            {
                yield return node.Message!;
            }

            foreach (var child in node.Children?.Values ?? Enumerable.Empty<Node>())
            {
                stack.Push(child);
            }
        }
    }

    /// <summary>Removes the retained message of the topic; returns false when it had none.</summary>
    public bool Clear(string topicName)
    {
        ArgumentNullException.ThrowIfNull(topicName);
        var node = root;
        foreach (var range in topicName.AsSpan().Split('/'))
        {
            if (node.Children is null
                || !node.Children.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(topicName.AsSpan()[range], out node))
            {
                return false;
            }
        }

        if (node.TopicName is null)
        {
            return false;
        }

        node.TopicName = null;
        node.Message = default;
        Count--;
        Prune(node);
        return true;
    }

    /// <summary>
    /// Appends to <paramref name="results"/> the retained messages whose topic name <paramref name="filter"/> matches,
    /// keyed by that name. A shared subscription's group is ignored: only <see cref="TopicFilter.Filter"/> counts.
    /// </summary>
    public void Match(TopicFilter filter, List<KeyValuePair<string, TMessage>> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var text = filter.Filter ?? throw new ArgumentException("the topic filter is empty", nameof(filter));
        pending.Clear();
        pending.Push((root, 0));
        while (pending.TryPop(out var state))
        {
            var (node, start) = state;
            if (start > text.Length)
            {
                Add(node, results);
                continue;
            }

            var rest = text.AsSpan(start);
            var separator = rest.IndexOf('/');
            var level = separator < 0 ? rest : rest[..separator];
            var next = start + level.Length + 1;

            // MQTT-4.7.2-1: a wildcard at the first level does not reach topics that start with $.
            var skipSystemTopics = start == 0;
            if (level is "#")
            {
                AddSubtree(node, skipSystemTopics, results);
            }
            else if (level is "+")
            {
                if (node.Children is { } all)
                {
                    foreach (var child in all.Values)
                    {
                        if (!(skipSystemTopics && child.Level.StartsWith('$')))
                        {
                            pending.Push((child, next));
                        }
                    }
                }
            }
            else if (node.Children is { } children
                     && children.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(level, out var child))
            {
                pending.Push((child, next));
            }
        }
    }

    // "sport/#" matches "sport" as well as everything below it, so the node itself counts.
    private void AddSubtree(Node top, bool skipSystemTopics, List<KeyValuePair<string, TMessage>> results)
    {
        subtree.Clear();
        subtree.Push(top);
        while (subtree.TryPop(out var node))
        {
            Add(node, results);
            if (node.Children is null)
            {
                continue;
            }

            foreach (var child in node.Children.Values)
            {
                if (!(skipSystemTopics && ReferenceEquals(node, root) && child.Level.StartsWith('$')))
                {
                    subtree.Push(child);
                }
            }
        }
    }

    private static void Add(Node node, List<KeyValuePair<string, TMessage>> results)
    {
        if (node.TopicName is { } topicName)
        {
            results.Add(new KeyValuePair<string, TMessage>(topicName, node.Message!));
        }
    }

    private void Prune(Node node)
    {
        while (node.Parent is { } parent && node.TopicName is null && node.Children is null)
        {
            parent.Children!.Remove(node.Level);
            if (parent.Children.Count == 0)
            {
                parent.Children = null;
            }

            NodeCount--;
            node = parent;
        }
    }

    private sealed class Node(Node? parent, string level)
    {
        public Node? Parent { get; } = parent;

        public string Level { get; } = level;

        public Dictionary<string, Node>? Children { get; set; }

        /// <summary>The topic name while the node holds a retained message, null otherwise.</summary>
        public string? TopicName { get; set; }

        public TMessage? Message { get; set; }
    }
}
