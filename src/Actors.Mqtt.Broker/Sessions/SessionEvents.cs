using Actors.Mqtt.Broker.Persistence;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Broker.Sessions;

/// <summary>
/// What a persistent session journals. Replaying the events in order rebuilds the session exactly, so every
/// change of the state that must survive a restart is one of these and nothing else changes that state.
/// Written by <see cref="JournalSerializer"/> as the messages of journal.proto, whose field numbers keep entries of
/// older versions readable.
/// </summary>
public interface ISessionEvent : IJournaled;

/// <summary>A new session began (first connect, or Clean Start): everything before it is void.</summary>
public sealed record SessionStarted(uint ExpiryInterval) : ISessionEvent;

public sealed record ExpiryChanged(uint ExpiryInterval) : ISessionEvent;

public sealed record WillChanged(MqttWill? Will) : ISessionEvent;

public sealed record Subscribed(IReadOnlyList<Subscription> Subscriptions) : ISessionEvent;

public sealed record Unsubscribed(IReadOnlyList<string> FilterTexts) : ISessionEvent;

/// <summary>A QoS 1 or 2 message waits for the client; or, when <paramref name="SentAs"/> is not 0, it went to the
/// client at once under that packet id (one event instead of a queued and a sent one).</summary>
public sealed record MessageQueued(QueuedMessage Message, ushort SentAs = 0) : ISessionEvent;

/// <summary>Messages queued (or sent at once) while an earlier write was on its way to the journal, in order: one
/// event, one journal row and one confirmation for all of them instead of one each.</summary>
public sealed record MessagesQueued(IReadOnlyList<MessageQueued> Messages) : ISessionEvent;

/// <summary>The oldest queued message expired before it could be sent [MQTT-3.3.2-5].</summary>
public sealed record MessageDropped : ISessionEvent
{
    public static readonly MessageDropped Instance = new();

    private MessageDropped()
    {
    }
}

/// <summary>The oldest queued messages went to the client, in order, under these packet ids.</summary>
public sealed record MessageSent(IReadOnlyList<ushort> PacketIds) : ISessionEvent;

/// <summary>PUBACK, PUBCOMP, or a PUBREC with a failure code: these messages are done.</summary>
public sealed record MessageAcknowledged(IReadOnlyList<ushort> PacketIds) : ISessionEvent;

/// <summary>PUBREC: the message is the client's now; only PUBREL/PUBCOMP remain.</summary>
public sealed record MessageReceived(ushort PacketId) : ISessionEvent;

/// <summary>An inbound QoS 2 message arrived; its packet id is held until PUBREL.</summary>
/// <param name="MessageKey">Names the message on its way to subscribers, so that routing it again after a restart
/// does not queue it twice where it already arrived.</param>
/// <param name="Digest">The message's <see cref="ContentDigest"/>: a PUBLISH under the id is a retry only if it matches.</param>
public sealed record Qos2Received(ushort PacketId, long MessageKey, ulong Digest) : ISessionEvent;

/// <summary>Every durable session the inbound QoS 2 message went to has it: a retry of the PUBLISH only gets PUBREC.</summary>
public sealed record Qos2Routed(ushort PacketId) : ISessionEvent;

public sealed record Qos2Released(ushort PacketId) : ISessionEvent;

/// <summary>A connection took the session: it is no longer counting down its expiry.</summary>
public sealed record SessionResumed : ISessionEvent
{
    public static readonly SessionResumed Instance = new();

    private SessionResumed()
    {
    }
}

/// <summary>The connection ended; the expiry interval counts from here, across restarts of the broker.</summary>
public sealed record SessionDetached(DateTimeOffset At) : ISessionEvent;

/// <summary>A message for the client as the session keeps it until it is acknowledged.</summary>
public sealed record QueuedMessage(RoutePublish Publish, Delivery Delivery, bool Retain);
