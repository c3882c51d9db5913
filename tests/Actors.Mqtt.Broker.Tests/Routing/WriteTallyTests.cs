using Actors.Mqtt.Broker.Routing;

namespace Actors.Mqtt.Broker.Tests.Routing;

/// <summary>
/// When a routed message's writes are all confirmed: the topic tree's count arrives alone, or with the first
/// confirmation, before or after the retained store's confirmation; a failure or a timeout ends it as failed.
/// </summary>
public sealed class WriteTallyTests
{
    [Fact]
    public void A_count_that_arrives_before_the_confirmations_waits_for_every_counted_write()
    {
        var tally = new WriteTally(knownWrites: 0, startedAt: 0);

        tally.Count(2);
        Assert.False(tally.Done);
        tally.Confirm(stored: true);
        Assert.False(tally.Done);
        tally.Confirm(stored: true);

        Assert.True(tally.Done);
        Assert.False(tally.Failed);
    }

    [Fact]
    public void A_count_carried_by_each_confirmation_is_added_once()
    {
        var tally = new WriteTally(knownWrites: 0, startedAt: 0);

        tally.Confirm(stored: true, routedWrites: 3);
        tally.Confirm(stored: true, routedWrites: 3);
        Assert.False(tally.Done);

        tally.Confirm(stored: true, routedWrites: 3);
        Assert.True(tally.Done);
    }

    [Fact]
    public void A_write_known_up_front_confirmed_before_the_count_does_not_finish_the_tally()
    {
        var tally = new WriteTally(knownWrites: 1, startedAt: 0);

        // The retained store confirms first; it carries no count of sessions.
        tally.Confirm(stored: true);
        Assert.False(tally.Done);

        tally.Confirm(stored: true, routedWrites: 1);
        Assert.True(tally.Done);
    }

    [Fact]
    public void A_count_after_the_confirmations_finishes_the_tally_when_it_adds_no_write()
    {
        var tally = new WriteTally(knownWrites: 1, startedAt: 0);
        tally.Confirm(stored: true);

        tally.Count(0);

        Assert.True(tally.Done);
        Assert.False(tally.NoSubscribers);
    }

    [Fact]
    public void A_failed_write_still_counts_and_marks_the_tally_failed()
    {
        var tally = new WriteTally(knownWrites: 0, startedAt: 0);

        tally.Confirm(stored: false, routedWrites: 2);
        tally.Confirm(stored: true, routedWrites: 2);

        Assert.True(tally.Done);
        Assert.True(tally.Failed);
    }

    [Fact]
    public void A_message_nobody_subscribed_to_is_done_at_once_and_says_so()
    {
        var tally = new WriteTally(knownWrites: 0, startedAt: 0);

        tally.Count(0, matched: false);

        Assert.True(tally.Done);
        Assert.True(tally.NoSubscribers);
        Assert.False(tally.Failed);
    }

    [Fact]
    public void A_tally_not_done_within_the_limit_gives_up_as_failed_once()
    {
        var tally = new WriteTally(knownWrites: 1, startedAt: 1_000);
        tally.Count(1);

        Assert.False(tally.Expire(now: 2_000, limit: 1_000));
        Assert.True(tally.Expire(now: 2_001, limit: 1_000));

        Assert.True(tally.Done);
        Assert.True(tally.Failed);
        Assert.False(tally.Expire(now: 9_999, limit: 1_000));
    }

    [Fact]
    public void A_tally_done_in_time_never_expires()
    {
        var tally = new WriteTally(knownWrites: 0, startedAt: 0);
        tally.Count(0);

        Assert.False(tally.Expire(now: 60_000, limit: 1_000));
        Assert.False(tally.Failed);
    }
}
