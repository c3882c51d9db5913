using Actors.Mqtt.Broker.Connections;
using Actors.Mqtt.Protocol;

namespace Actors.Mqtt.Broker.Tests.Connections;

/// <summary>When a PUBACK may go: the topic tree's count of durable writes arrives alone or with the first confirmation.</summary>
public sealed class PendingAcksTests
{
    [Fact]
    public void A_count_carried_by_the_first_confirmation_holds_the_ack_until_every_counted_write_is_confirmed()
    {
        var acks = new PendingAcks();
        var id = acks.AddPubAck(packetId: 7, writes: 0, now: 0, readAt: 0);

        acks.Confirmed(id, stored: true, routedWrites: 2);
        Assert.False(acks.TryTakeReady(out _));

        acks.Confirmed(id, stored: true, routedWrites: 2);
        Assert.True(acks.TryTakeReady(out var ready));
        Assert.Equal((PacketType.PubAck, (ushort)7, false), (ready.Kind, ready.PacketId, ready.Failed));
    }

    [Fact]
    public void A_confirmation_for_an_entry_forgotten_by_Clear_releases_none_of_the_next_ones()
    {
        var acks = new PendingAcks();
        var forgotten = acks.AddPubAck(packetId: 7, writes: 0, now: 0, readAt: 0);
        acks.Clear();
        Assert.Equal(0, acks.Count);

        // The same packet id again, as a publisher sends a message again after reconnecting.
        var next = acks.AddPubAck(packetId: 7, writes: 0, now: 0, readAt: 0);
        acks.Confirmed(forgotten, stored: true, routedWrites: 1);
        Assert.NotEqual(forgotten, next);
        Assert.False(acks.TryTakeReady(out _));

        acks.Confirmed(next, stored: true, routedWrites: 1);
        Assert.True(acks.TryTakeReady(out var ready));
        Assert.Equal((ushort)7, ready.PacketId);
    }

    [Fact]
    public void A_retained_write_confirmed_before_the_sessions_count_does_not_release_the_ack()
    {
        var acks = new PendingAcks();
        var id = acks.AddPubAck(packetId: 1, writes: 1, now: 0, readAt: 0);

        // The retained store confirms first; it carries no count of sessions.
        acks.Confirmed(id, stored: true);
        Assert.False(acks.TryTakeReady(out _));

        acks.Confirmed(id, stored: true, routedWrites: 1);
        Assert.True(acks.TryTakeReady(out _));
    }

    [Fact]
    public void A_count_of_no_writes_from_the_tree_releases_the_ack_at_once_and_keeps_the_order()
    {
        var acks = new PendingAcks();
        var first = acks.AddPubAck(packetId: 1, writes: 0, now: 0, readAt: 0);
        var second = acks.AddPubAck(packetId: 2, writes: 0, now: 0, readAt: 0);

        acks.Counted(second, 0);
        Assert.False(acks.TryTakeReady(out _));

        acks.Confirmed(first, stored: false, routedWrites: 1);
        Assert.True(acks.TryTakeReady(out var one));
        Assert.True(acks.TryTakeReady(out var two));
        Assert.Equal(((ushort)1, true), (one.PacketId, one.Failed));
        Assert.Equal(((ushort)2, false), (two.PacketId, two.Failed));
    }

    [Fact]
    public void A_message_nobody_subscribed_to_is_marked_so_that_MQTT_5_can_say_0x10()
    {
        var acks = new PendingAcks();
        var unmatched = acks.AddPubAck(packetId: 1, writes: 0, now: 0, readAt: 0);
        var matched = acks.AddPubAck(packetId: 2, writes: 0, now: 0, readAt: 0);
        acks.AddPubRec(packetId: 3, now: 0, readAt: 0);

        acks.Counted(unmatched, 0, matched: false);
        acks.Counted(matched, 0, matched: true);
        acks.Qos2Done(3, ReasonCode.NoMatchingSubscribers, durable: false);

        Assert.True(acks.TryTakeReady(out var one));
        Assert.True(acks.TryTakeReady(out var two));
        Assert.True(acks.TryTakeReady(out var three));
        Assert.Equal((true, false, true), (one.NoSubscribers, two.NoSubscribers, three.NoSubscribers));
        Assert.False(three.Failed);
    }

    [Fact]
    public void Only_an_acknowledgement_that_waited_for_a_durable_write_carries_its_read_time()
    {
        var acks = new PendingAcks();
        var nobody = acks.AddPubAck(packetId: 1, writes: 0, now: 0, readAt: 10);
        var subscriber = acks.AddPubAck(packetId: 2, writes: 0, now: 0, readAt: 20);
        var retained = acks.AddPubAck(packetId: 3, writes: 1, now: 0, readAt: 30);
        acks.AddPubRec(packetId: 4, now: 0, readAt: 40);
        acks.AddPubRec(packetId: 5, now: 0, readAt: 50);
        acks.AddDecided(packetId: 6, PacketType.PubAck, ReasonCode.NotAuthorized);

        acks.Counted(nobody, 0);
        acks.Confirmed(subscriber, stored: true, routedWrites: 1);
        acks.Confirmed(retained, stored: true);
        acks.Counted(retained, 0);
        acks.Qos2Done(4, ReasonCode.Success, durable: true);
        acks.Qos2Done(5, ReasonCode.Success, durable: false);

        var readAt = new List<long?>();
        while (acks.TryTakeReady(out var ready))
        {
            readAt.Add(ready.DurableReadAt);
        }

        Assert.Equal(new long?[] { null, 20, 30, 40, null, null }, readAt);
    }
}
