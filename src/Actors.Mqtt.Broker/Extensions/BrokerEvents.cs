using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Akka.Actor;
using Akka.Event;

namespace Actors.Mqtt.Broker.Extensions;

/// <summary>
/// Where broker actors tell what happened, for the extensions (which hear it on the event stream). An actor holds
/// one only when extensions are configured (<see cref="For"/> is null otherwise), so a broker without extensions
/// makes no event at all.
/// </summary>
public sealed class BrokerEvents
{
    private readonly EventStream stream;
    private readonly TimeProvider time;

    private BrokerEvents(EventStream stream, TimeProvider time)
    {
        this.stream = stream;
        this.time = time;
    }

    public static BrokerEvents? For(ActorSystem system, BrokerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(settings);
        return settings.PublishesEvents ? new BrokerEvents(system.EventStream, settings.Time) : null;
    }

    private DateTimeOffset Now => time.GetUtcNow();

    public void Connected(ExtensionClient client, bool cleanStart, bool sessionPresent) =>
        stream.Publish(new ClientConnected(Now, client, cleanStart, sessionPresent));

    public void Disconnected(ExtensionClient client, string reason) => stream.Publish(new ClientDisconnected(Now, client, reason));

    public void Published(string clientId, PublishPacket message) =>
        stream.Publish(new MessagePublished(Now, clientId, message.Topic, message.QoS, message.Retain, message.Payload));

    public void Subscribed(string clientId, string filter, QualityOfService qos) => stream.Publish(new ClientSubscribed(Now, clientId, filter, qos));

    public void Unsubscribed(string clientId, string filter) => stream.Publish(new ClientUnsubscribed(Now, clientId, filter));

    public void Expired(string clientId) => stream.Publish(new SessionExpired(Now, clientId));

    public void Dropped(string clientId, string topic, DropReason reason) =>
        stream.Publish(new MessageDropped(Now, clientId, topic, BrokerMetrics.DropReasons[(int)reason]));
}
