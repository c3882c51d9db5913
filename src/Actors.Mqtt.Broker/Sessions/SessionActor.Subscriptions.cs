using Actors.Mqtt.Broker.Persistence;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Topics;
using Akka.Actor;
using Akka.Event;

namespace Actors.Mqtt.Broker.Sessions;

// SUBSCRIBE and UNSUBSCRIBE in SessionActor.
public sealed partial class SessionActor
{
    private void Subscribe(SubscribeRequest request)
    {
        var packet = request.Packet;
        var identifier = packet.Properties?.SubscriptionIdentifiers is [var id, ..] ? id : (int?)null;
        var accepted = new List<Subscription>(packet.Subscriptions.Count);
        var codes = new List<ReasonCode>(packet.Subscriptions.Count);
        var fresh = new List<Subscription>();
        var added = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < packet.Subscriptions.Count; i++)
        {
            var requested = packet.Subscriptions[i];
            if (request.Denied is { } denied && denied[i])
            {
                codes.Add(ReasonCode.NotAuthorized);
                continue;
            }

            if (!TopicFilter.TryParse(requested.TopicFilter, version == MqttProtocolVersion.V500, out var filter, out _))
            {
                codes.Add(ReasonCode.TopicFilterInvalid);
                continue;
            }

            if (settings.MaxTopicLevels > 0 && TopicLevels.Count(filter.Filter) > settings.MaxTopicLevels)
            {
                log.Warning("Session {ClientId}: SUBSCRIBE filter {Filter} has more than {MaxTopicLevels} topic levels (actors-mqtt.limits.max-topic-levels): refused", clientId, requested.TopicFilter, settings.MaxTopicLevels);
                codes.Add(ReasonCode.TopicFilterInvalid);
                continue;
            }

            var subscription = new Subscription(clientId, filter, requested.MaximumQoS)
            {
                NoLocal = requested.NoLocal,
                RetainAsPublished = requested.RetainAsPublished,
                RetainHandling = requested.RetainHandling,
                SubscriptionIdentifier = identifier,
            };
            var existed = state.Subscriptions.ContainsKey(subscription.FilterText);
            if (!existed && !added.Contains(subscription.FilterText)
                && settings.MaxSubscriptions > 0 && state.Subscriptions.Count + added.Count >= settings.MaxSubscriptions)
            {
                log.Warning("Session {ClientId}: SUBSCRIBE filter {Filter} refused: the session holds {MaxSubscriptions} subscriptions (actors-mqtt.limits.max-subscriptions)", clientId, requested.TopicFilter, settings.MaxSubscriptions);
                codes.Add(ReasonCode.QuotaExceeded);
                continue;
            }

            if (!existed)
            {
                added.Add(subscription.FilterText);
            }

            accepted.Add(subscription);
            codes.Add((ReasonCode)(byte)requested.MaximumQoS);

            // Retained messages go to a new subscription, or to any with Retain Handling 0; never to a shared one.
            var wantsRetained = requested.RetainHandling == RetainHandling.SendAtSubscribe
                || (requested.RetainHandling == RetainHandling.SendAtSubscribeIfNew && !existed);
            if (wantsRetained && !filter.IsShared)
            {
                fresh.Add(subscription);
            }
        }

        var replyTo = Sender;
        Record(new Subscribed(accepted), () =>
        {
            // SUBACK waits until the topic tree of every node holds the subscriptions, so that a message published
            // through any node after it reaches them (docs/architecture.md, "Cluster"), and until the session index
            // does, so that they route after a restart while the session sleeps.
            var awaitId = Await(indexing is not null && journaling ? 2 : 1, () =>
            {
                foreach (var subscription in accepted)
                {
                    events?.Subscribed(clientId, subscription.FilterText, subscription.MaximumQoS);
                }

                replyTo.Tell(new SendToClient(new SubAckPacket { PacketId = packet.PacketId, ReasonCodes = codes }));
                if (fresh.Count > 0)
                {
                    retainedStore.Tell(new QueryRetained(fresh));
                }
            });
            topicTree.Tell(new AddSubscriptions(Self, accepted, journaling, Connected: connection is not null) { AwaitId = awaitId });
            if (indexing is not null && journaling)
            {
                indexed = true;
                indexing.Writer.Tell(new IndexSession(IndexEntry(), awaitId));
            }
        });
    }

    private void Unsubscribe(UnsubscribeRequest request)
    {
        var packet = request.Packet;
        var codes = packet.TopicFilters
            .Select(f => state.Subscriptions.ContainsKey(f) ? ReasonCode.Success : ReasonCode.NoSubscriptionExisted)
            .ToList();
        var replyTo = Sender;
        Record(new Unsubscribed(packet.TopicFilters), () =>
        {
            topicTree.Tell(new RemoveSubscriptions(clientId, packet.TopicFilters));
            for (var i = 0; i < codes.Count; i++)
            {
                if (codes[i] == ReasonCode.Success)
                {
                    events?.Unsubscribed(clientId, packet.TopicFilters[i]);
                }
            }

            IndexNow(() => replyTo.Tell(new SendToClient(new UnsubAckPacket { PacketId = packet.PacketId, ReasonCodes = codes })));
        });
    }
}
