using Actors.Mqtt.Protocol;

namespace Actors.Mqtt.Broker.Extensions;

/// <summary>
/// What happened in the broker, told to every extension. The events of one client come in the order they happened;
/// events of different clients, or of one client's connection and its session, may interleave.
/// </summary>
/// <param name="Time">When it happened, by the broker's clock.</param>
public abstract record BrokerEvent(DateTimeOffset Time);

/// <summary>A client was accepted: its CONNACK went out.</summary>
public sealed record ClientConnected(DateTimeOffset Time, ExtensionClient Client, bool CleanStart, bool SessionPresent)
    : BrokerEvent(Time);

/// <summary>A connection that had been accepted ended.</summary>
/// <param name="Reason">Why, in the words of the broker's log (DISCONNECT, keep-alive timeout, taken over, ...).</param>
public sealed record ClientDisconnected(DateTimeOffset Time, ExtensionClient Client, string Reason) : BrokerEvent(Time);

/// <summary>A message entered the broker: from a client, a will, or a bridge.</summary>
/// <param name="ClientId">The client whose message it is; the bridge's client id for one that came through a bridge.</param>
public sealed record MessagePublished(DateTimeOffset Time, string ClientId, string Topic, QualityOfService QoS, bool Retain, ReadOnlyMemory<byte> Payload)
    : BrokerEvent(Time);

/// <summary>A client was granted a subscription.</summary>
public sealed record ClientSubscribed(DateTimeOffset Time, string ClientId, string Filter, QualityOfService QoS) : BrokerEvent(Time);

/// <summary>A client removed a subscription it held.</summary>
public sealed record ClientUnsubscribed(DateTimeOffset Time, string ClientId, string Filter) : BrokerEvent(Time);

/// <summary>A session was discarded because its expiry interval passed without its client.</summary>
public sealed record SessionExpired(DateTimeOffset Time, string ClientId) : BrokerEvent(Time);

/// <summary>A message was not delivered to a client, or not accepted from it.</summary>
/// <param name="Reason">The <c>reason</c> label of the <c>actors_mqtt_messages_dropped_total</c> metric.</param>
public sealed record MessageDropped(DateTimeOffset Time, string ClientId, string Topic, string Reason) : BrokerEvent(Time);
