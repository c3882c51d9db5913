using Akka.Actor;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace Actors.Mqtt.Broker.Mailboxes;

/// <summary>
/// An unbounded mailbox queue that costs an idle actor about 150 bytes. Akka's default queue
/// (<see cref="System.Collections.Concurrent.ConcurrentQueue{T}"/>) holds a 32-slot segment, about 1 KB, from the first
/// message on, and the broker keeps three actors per connection, most of them idle most of the time: that was 3 KB of
/// every idle connection. Here a small array grows with a burst and is given back once the burst is read.
/// </summary>
/// <remarks>
/// A lock guards the array: senders to one actor rarely meet, and the lock costs about what the default queue's atomic
/// operations do. A lock-free linked list of envelopes was tried too; it saves as much memory, but allocates a node
/// per message and delivered less in the fan-out benchmark.
/// </remarks>
public sealed class CompactMessageList : IMessageQueue, IUnboundedMessageQueueSemantics
{
    // A queue grown past this by a burst is replaced by a small one once it is empty again.
    private const int KeptCapacity = 64;

    private readonly Lock gate = new();
    private Queue<Envelope> queue = new();
    private int count;

    public bool HasMessages => Volatile.Read(ref count) > 0;

    public int Count => Volatile.Read(ref count);

    public void Enqueue(IActorRef receiver, Envelope envelope)
    {
        lock (gate)
        {
            queue.Enqueue(envelope);
            count++;
        }
    }

    public bool TryDequeue(out Envelope envelope)
    {
        lock (gate)
        {
            if (!queue.TryDequeue(out envelope))
            {
                return false;
            }

            count--;
            if (count == 0 && queue.Capacity > KeptCapacity)
            {
                queue = new Queue<Envelope>();
            }

            return true;
        }
    }

    public void CleanUp(IActorRef owner, IMessageQueue deadletters)
    {
        while (TryDequeue(out var envelope))
        {
            deadletters.Enqueue(owner, envelope);
        }
    }
}
