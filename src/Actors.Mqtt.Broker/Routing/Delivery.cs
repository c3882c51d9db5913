using Actors.Mqtt.Protocol;

namespace Actors.Mqtt.Broker.Routing;

/// <summary>
/// One copy of a PUBLISH for one client: everything the client's matching subscriptions decide about that copy.
/// </summary>
/// <param name="MaximumQoS">The highest maximum QoS among the matching subscriptions (MQTT-3.3.4-2).</param>
/// <param name="RetainAsPublished">True when any matching subscription asked to keep the RETAIN flag.</param>
/// <param name="SubscriptionIdentifiers">The identifiers of the matching subscriptions that have one (MQTT-3.3.4-3,
/// MQTT-3.3.4-4), in no particular order.</param>
public readonly record struct Delivery(
    string ClientId,
    QualityOfService MaximumQoS,
    bool RetainAsPublished,
    IReadOnlyList<int> SubscriptionIdentifiers)
{
    /// <summary>The shared group this copy was picked for; null for a client's own subscriptions. Not journaled: it
    /// matters only while the copy finds a member that takes it.</summary>
    public SharedGroup? Group { get; init; }
}
