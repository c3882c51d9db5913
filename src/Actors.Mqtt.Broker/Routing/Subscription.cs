using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Topics;

namespace Actors.Mqtt.Broker.Routing;

/// <summary>One subscription of a client's session, as the topic tree stores it.</summary>
public sealed record Subscription(string ClientId, TopicFilter Filter, QualityOfService MaximumQoS)
{
    public bool NoLocal { get; init; }

    public bool RetainAsPublished { get; init; }

    public RetainHandling RetainHandling { get; init; }

    public int? SubscriptionIdentifier { get; init; }

    /// <summary>
    /// The filter as the client wrote it, <c>$share/{group}/</c> prefix included. It identifies the subscription
    /// within the client's session: a later SUBSCRIBE with the same text replaces it and UNSUBSCRIBE names it.
    /// </summary>
    /// <remarks>
    /// Computed rather than stored so that a <c>with</c> expression that changes <see cref="Filter"/> cannot leave a
    /// stale text behind.
    /// </remarks>
    public string FilterText => Filter.ShareName is { } group ? $"$share/{group}/{Filter.Filter}" : Filter.Filter;
}
