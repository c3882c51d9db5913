using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Broker.Sessions;

/// <summary>
/// What a persistent session journals. Replaying the events in order rebuilds the session exactly, so every
/// change of the state that must survive a restart is one of these and nothing else changes that state.
/// Version 1; the durable-sessions work gives them an explicit serializer.
/// </summary>
public interface ISessionEvent;

/// <summary>A new session began (first connect, or Clean Start): everything before it is void.</summary>
public sealed record SessionStarted(uint ExpiryInterval) : ISessionEvent;

public sealed record ExpiryChanged(uint ExpiryInterval) : ISessionEvent;

public sealed record WillChanged(MqttWill? Will) : ISessionEvent;

public sealed record Subscribed(IReadOnlyList<Subscription> Subscriptions) : ISessionEvent;

public sealed record Unsubscribed(IReadOnlyList<string> FilterTexts) : ISessionEvent;

/// <summary>A QoS 1 or 2 message waits for the client.</summary>
public sealed record MessageQueued(QueuedMessage Message) : ISessionEvent;

/// <summary>The oldest queued message expired before it could be sent [MQTT-3.3.2-5].</summary>
public sealed record MessageDropped : ISessionEvent
{
    public static readonly MessageDropped Instance = new();

    private MessageDropped()
    {
    }
}

/// <summary>The oldest queued message went to the client under this packet id.</summary>
public sealed record MessageSent(ushort PacketId) : ISessionEvent;

/// <summary>PUBACK, PUBCOMP, or a PUBREC with a failure code: the message is done.</summary>
public sealed record MessageAcknowledged(ushort PacketId) : ISessionEvent;

/// <summary>PUBREC: the message is the client's now; only PUBREL/PUBCOMP remain.</summary>
public sealed record MessageReceived(ushort PacketId) : ISessionEvent;

/// <summary>An inbound QoS 2 message was routed; its packet id is held until PUBREL.</summary>
public sealed record Qos2Received(ushort PacketId) : ISessionEvent;

public sealed record Qos2Released(ushort PacketId) : ISessionEvent;

/// <summary>A message for the client as the session keeps it until it is acknowledged.</summary>
public sealed record QueuedMessage(RoutePublish Publish, Delivery Delivery, bool Retain);
