using Actors.Mqtt.Broker.Mailboxes;
using Akka.Actor;
using Akka.Dispatch.MessageQueues;

namespace Actors.Mqtt.Broker.Tests.Mailboxes;

public sealed class CompactMessageListTests
{
    [Fact]
    public void Messages_come_out_in_the_order_they_went_in_across_a_burst_and_after_it()
    {
        var queue = new CompactMessageList();
        Assert.False(queue.HasMessages);

        // A burst grows the queue past what it keeps; once read, it starts small again and still keeps order.
        Enqueue(queue, 0, 1000);
        Assert.Equal(1000, queue.Count);
        Assert.Equal(Enumerable.Range(0, 1000), Drain(queue));
        Assert.False(queue.HasMessages);

        Enqueue(queue, 1000, 3);
        Assert.True(queue.HasMessages);
        Assert.Equal([1000, 1001, 1002], Drain(queue));
    }

    [Fact]
    public async Task Many_senders_at_once_lose_nothing_and_each_sender_keeps_its_order()
    {
        const int Senders = 4;
        const int PerSender = 50_000;
        var queue = new CompactMessageList();
        var received = new List<int>[Senders];
        for (var s = 0; s < Senders; s++)
        {
            received[s] = [];
        }

        var senders = Enumerable.Range(0, Senders).Select(s => Task.Run(() =>
        {
            for (var i = 0; i < PerSender; i++)
            {
                queue.Enqueue(ActorRefs.Nobody, new Envelope((s, i), ActorRefs.NoSender));
            }
        })).ToArray();

        var total = 0;
        while (total < Senders * PerSender)
        {
            if (queue.TryDequeue(out var envelope))
            {
                var (sender, sequence) = ((int, int))envelope.Message;
                received[sender].Add(sequence);
                total++;
            }
        }

        await Task.WhenAll(senders);
        Assert.False(queue.HasMessages);
        Assert.All(received, r => Assert.Equal(Enumerable.Range(0, PerSender), r));
    }

    [Fact]
    public void Clean_up_hands_what_is_left_to_the_dead_letters_in_order()
    {
        var queue = new CompactMessageList();
        var deadLetters = new CompactMessageList();
        Enqueue(queue, 0, 5);

        queue.CleanUp(ActorRefs.Nobody, deadLetters);

        Assert.False(queue.HasMessages);
        Assert.Equal(Enumerable.Range(0, 5), Drain(deadLetters));
    }

    [Fact]
    public void Messages_put_back_in_front_are_read_before_the_others()
    {
        var queue = new CompactDequeMessageList();
        Enqueue(queue, 0, 2);
        queue.EnqueueFirst(new Envelope(11, ActorRefs.NoSender));
        queue.EnqueueFirst(new Envelope(10, ActorRefs.NoSender));

        Assert.Equal(4, queue.Count);
        Assert.Equal([10, 11, 0, 1], Drain(queue));
        Assert.False(queue.HasMessages);
    }

    private static void Enqueue(IMessageQueue queue, int from, int count)
    {
        for (var i = from; i < from + count; i++)
        {
            queue.Enqueue(ActorRefs.Nobody, new Envelope(i, ActorRefs.NoSender));
        }
    }

    private static List<int> Drain(IMessageQueue queue)
    {
        var read = new List<int>();
        while (queue.TryDequeue(out var envelope))
        {
            read.Add((int)envelope.Message);
        }

        return read;
    }
}
