using Actors.Mqtt.Broker.Connections;

namespace Actors.Mqtt.Broker.Tests.Connections;

/// <summary>When a QoS 0 publisher's connection may read on: marks on every n-th message, answered by every copy.</summary>
public sealed class PublishPacerTests
{
    [Fact]
    public void Every_nth_message_carries_a_mark_with_the_next_sequence_number()
    {
        var pacer = new PublishPacer(every: 3, window: 10, timeoutMilliseconds: 1000);

        var marks = Enumerable.Range(0, 9).Select(_ => pacer.Next(now: 0)).ToList();

        Assert.Equal([null, null, 1, null, null, 2, null, null, 3], marks);
    }

    [Fact]
    public void The_connection_stops_reading_with_the_window_of_marks_unanswered_and_reads_again_once_one_has_every_answer()
    {
        var pacer = new PublishPacer(every: 1, window: 2, timeoutMilliseconds: 1000);
        var first = pacer.Next(now: 0)!.Value;
        Assert.True(pacer.MayRead);
        pacer.Next(now: 0);
        Assert.False(pacer.MayRead);

        // The first message went to three connections: two answers are not enough.
        pacer.Answered(first, copies: 3);
        pacer.Answered(first, copies: 3);
        Assert.False(pacer.MayRead);

        pacer.Answered(first, copies: 3);
        Assert.True(pacer.MayRead);
    }

    [Fact]
    public void A_mark_that_matched_no_connection_is_answered_once_by_the_topic_tree_with_no_copies()
    {
        var pacer = new PublishPacer(every: 1, window: 1, timeoutMilliseconds: 1000);
        var seq = pacer.Next(now: 0)!.Value;
        Assert.False(pacer.MayRead);

        pacer.Answered(seq, copies: 0);

        Assert.True(pacer.MayRead);
    }

    [Fact]
    public void Late_answers_to_a_mark_given_up_change_nothing()
    {
        var pacer = new PublishPacer(every: 1, window: 1, timeoutMilliseconds: 1000);
        var old = pacer.Next(now: 0)!.Value;

        Assert.Equal(0, pacer.Expire(now: 999));
        Assert.False(pacer.MayRead);
        Assert.Equal(1, pacer.Expire(now: 1000));
        Assert.True(pacer.MayRead);

        var next = pacer.Next(now: 1000)!.Value;
        pacer.Answered(old, copies: 1);
        Assert.False(pacer.MayRead);
        pacer.Answered(next, copies: 1);
        Assert.True(pacer.MayRead);
    }
}
