using Akka.Actor;

namespace Actors.Mqtt.Broker.Routing;

/// <summary>
/// The retained message of every topic that has one: set by a PUBLISH with RETAIN [MQTT-3.3.1-5], cleared by one
/// with an empty payload [MQTT-3.3.1-6], handed to new subscriptions that match.
/// </summary>
public sealed class RetainedStoreActor : ReceiveActor
{
    private readonly RetainedMessageIndex<RoutePublish> index = new();
    private readonly List<KeyValuePair<string, RoutePublish>> matches = [];

    public RetainedStoreActor()
    {
        Receive<StoreRetained>(store =>
        {
            if (store.Message.Payload.IsEmpty)
            {
                // An empty retained message is never stored; it only removes the one before [MQTT-3.3.1-7].
                index.Clear(store.Message.Topic);
            }
            else
            {
                index.Set(store.Message.Topic, new RoutePublish(store.Message with { Dup = false, PacketId = 0 }, null, store.ReceivedAt));
            }
        });
        Receive<QueryRetained>(query =>
        {
            foreach (var subscription in query.Subscriptions)
            {
                matches.Clear();
                index.Match(subscription.Filter, matches);
                var live = matches.Select(m => m.Value).Where(m => !Expired(m)).ToList();
                Sender.Tell(new RetainedMatches(subscription, live));
            }
        });
    }

    public static Props Props() => Akka.Actor.Props.Create(() => new RetainedStoreActor());

    private static bool Expired(RoutePublish message) =>
        message.Message.Properties?.MessageExpiryInterval is { } interval
        && (Environment.TickCount64 - message.ReceivedAt) / 1000 >= interval;
}
