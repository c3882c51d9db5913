using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Akka.Actor;
using Akka.Event;

namespace Actors.Mqtt.Broker.Sessions;

// Inbound QoS 2 through the publisher's SessionActor: the packet id and message key journaled, the route, its answer.
public sealed partial class SessionActor
{
    /// <summary>
    /// An inbound QoS 2 PUBLISH. Its packet id is journaled with a key for the message first, then the message is
    /// routed, and PUBREC goes once every durable session that matched has written it: a restart at any point either
    /// forgets the message (no PUBREC was sent, the client sends it again) or routes it again under the same key,
    /// which sessions that have it already skip [MQTT-4.3.3-10]. A different message under a held id is a client
    /// that gave the old one up and reused its id: it is a new message with a new key.
    /// </summary>
    private void OnInboundQos2(InboundQos2 inbound)
    {
        var id = inbound.Packet.PacketId;
        var replyTo = Sender;
        var digest = ContentDigest.Of(inbound.Packet);
        if (state.InboundQos2(id) is { } held)
        {
            if (ContentDigest.Same(held.Digest, digest))
            {
                OnInboundQos2Retry(inbound, held, replyTo);
                return;
            }

            log.Info("Session {ClientId}: packet id {PacketId} reused for a new QoS 2 message before the last one under it was {Stage}; the last one is given up", clientId, id, held.Routed ? "released" : "acknowledged");
            AbandonRoutes(id);
        }

        var key = Random.Shared.NextInt64(1, long.MaxValue);
        (routing ??= [])[id] = replyTo;
        Record(new Qos2Received(id, key, digest), () => Route(inbound, key, rerouted: false, routing?.GetValueOrDefault(id) ?? replyTo));
    }

    private void OnInboundQos2Retry(InboundQos2 inbound, InboundQos2Snapshot held, IActorRef replyTo)
    {
        if (held.Routed)
        {
            // A retry before PUBREL: acknowledge again, deliver nothing twice.
            replyTo.Tell(new InboundQos2Done(held.PacketId, ReasonCode.Success, Durable: false));
        }
        else if (routing is null || !routing.ContainsKey(held.PacketId))
        {
            Route(inbound, held.MessageKey, rerouted: true, replyTo);
        }
        else
        {
            routing[held.PacketId] = replyTo;
        }
    }

    /// <summary>Forgets the routes still running for a message its client gave up: their answers are no one's now.</summary>
    private void AbandonRoutes(ushort packetId)
    {
        foreach (var routeId in (routes ?? []).Where(r => r.Value.PacketId == packetId).Select(r => r.Key).ToList())
        {
            routes!.Remove(routeId);
        }

        routing?.Remove(packetId);
        if (routes is { Count: 0 })
        {
            Timers.Cancel(RouteSweepTimer);
        }
    }

    private void Route(InboundQos2 inbound, long key, bool rerouted, IActorRef replyTo)
    {
        var packet = inbound.Packet;
        var routeId = ++lastRouteId;
        var confirm = new Confirmation(Self, routeId);
        (routing ??= [])[packet.PacketId] = replyTo;
        (routes ??= [])[routeId] = new PendingRoute(packet.PacketId, new WriteTally(BrokerPublisher.RetainedWrites(packet), settings.Time.Milliseconds()));
        publisher.Publish(packet, clientId, inbound.ReceivedAt, confirm, key, rerouted);
        if (!Timers.IsTimerActive(RouteSweepTimer))
        {
            Timers.StartPeriodicTimer(RouteSweepTimer, SweepRoutes.Instance, settings.Persistence.ConfirmTimeout);
        }
    }

    private void UpdateRoute(long routeId, Action<WriteTally> update)
    {
        if (routes is not null && routes.TryGetValue(routeId, out var route))
        {
            update(route.Tally);
            if (route.Tally.Done)
            {
                FinishRoute(routeId, route);
            }
        }
    }

    private void FinishRoute(long routeId, PendingRoute route)
    {
        routes!.Remove(routeId);
        var replyTo = routing is not null && routing.Remove(route.PacketId, out var latest) ? latest : ActorRefs.Nobody;
        if (routes.Count == 0)
        {
            Timers.Cancel(RouteSweepTimer);
        }

        if (!route.Tally.Failed)
        {
            var code = route.Tally.NoSubscribers ? ReasonCode.NoMatchingSubscribers : ReasonCode.Success;
            Record(new Qos2Routed(route.PacketId), () => replyTo.Tell(new InboundQos2Done(route.PacketId, code, route.Tally.Durable)));
            return;
        }

        // The connection closes without a PUBREC; the client sends the PUBLISH again after reconnecting and finds the id
        // held with its key, so the message is routed again and reaches only the subscribers that lack it.
        log.Warning("Session {ClientId}: inbound QoS 2 message {PacketId} not stored by every subscriber in time", clientId, route.PacketId);
        replyTo.Tell(new InboundQos2Done(route.PacketId, ReasonCode.UnspecifiedError, Durable: false));
    }

    private void SweepExpiredRoutes()
    {
        var now = settings.Time.Milliseconds();
        var limit = (long)settings.Persistence.ConfirmTimeout.TotalMilliseconds;
        foreach (var (routeId, route) in (routes ?? []).Where(r => r.Value.Tally.Expire(now, limit)).ToList())
        {
            FinishRoute(routeId, route);
        }
    }

    private void OnInboundRelease(InboundRelease release)
    {
        var replyTo = Sender;
        if (!state.HoldsInboundQos2(release.PacketId))
        {
            replyTo.Tell(new SendToClient(new PubCompPacket { PacketId = release.PacketId, ReasonCode = ReasonCode.PacketIdentifierNotFound }));
            return;
        }

        Record(new Qos2Released(release.PacketId), () => replyTo.Tell(new SendToClient(new PubCompPacket { PacketId = release.PacketId })));
    }

    /// <summary>An inbound QoS 2 message on its way to the sessions and stores that must write it before PUBREC.</summary>
    private sealed record PendingRoute(ushort PacketId, WriteTally Tally);

    private sealed record SweepRoutes
    {
        public static readonly SweepRoutes Instance = new();
    }
}
