using Actors.Mqtt.Protocol.Packets;
using Akka.Actor;

namespace Actors.Mqtt.Broker.Routing;

/// <summary>A session's subscriptions to add to the topic tree (a replacement when the filter text is the same).</summary>
public sealed record AddSubscriptions(IActorRef Session, IReadOnlyList<Subscription> Subscriptions);

/// <summary>Subscriptions a session gave up, by their filter text.</summary>
public sealed record RemoveSubscriptions(string ClientId, IReadOnlyList<string> FilterTexts);

/// <summary>Every subscription of a session that ended.</summary>
public sealed record RemoveClient(string ClientId);

/// <summary>An application message to deliver to every matching subscription.</summary>
/// <param name="PublisherClientId">Who sent it, for No Local; null for messages the broker makes (wills are published for their client).</param>
public sealed record RoutePublish(PublishPacket Message, string? PublisherClientId, long ReceivedAt);

/// <summary>Asks the topic tree guardian for the actor of one first-level subtree, to send to it directly from then on.</summary>
public sealed record ResolveSubtree(string FirstLevel);

public sealed record SubtreeResolved(string FirstLevel, IActorRef Subtree);

/// <summary>One matching message for a session, with what its subscriptions decided.</summary>
public sealed record DeliverMessage(RoutePublish Publish, Delivery Delivery);

/// <summary>A PUBLISH with RETAIN: store it, or clear the topic when the payload is empty.</summary>
public sealed record StoreRetained(PublishPacket Message, long ReceivedAt);

/// <summary>Asks the retained store for what matches the filters of new subscriptions.</summary>
public sealed record QueryRetained(IReadOnlyList<Subscription> Subscriptions);

/// <summary>The retained messages that match one subscription.</summary>
public sealed record RetainedMatches(Subscription Subscription, IReadOnlyList<RoutePublish> Messages);
