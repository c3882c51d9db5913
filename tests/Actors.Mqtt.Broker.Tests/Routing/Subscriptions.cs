using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Topics;

namespace Actors.Mqtt.Broker.Tests.Routing;

/// <summary>Builds subscriptions from filter text as a MQTT 5.0 SUBSCRIBE would carry it.</summary>
internal static class Subscriptions
{
    public static TopicFilter Filter(string text, bool allowShared = true)
    {
        Assert.True(TopicFilter.TryParse(text, allowShared, out var filter, out var error), error.ToString());
        return filter;
    }

    public static Subscription Of(
        string clientId, string filter, QualityOfService maximumQoS = QualityOfService.AtMostOnce, int? id = null) =>
        new(clientId, Filter(filter), maximumQoS) { SubscriptionIdentifier = id };
}
