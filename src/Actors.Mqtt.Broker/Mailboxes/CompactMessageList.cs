using Akka.Actor;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace Actors.Mqtt.Broker.Mailboxes;

/// <summary>
/// An unbounded mailbox queue that costs an idle actor about 120 bytes. Akka's default queue
/// (<see cref="System.Collections.Concurrent.ConcurrentQueue{T}"/>) holds a 32-slot segment, about 1 KB, from the first
/// message on, and the broker keeps three actors per connection, most of them idle most of the time: that was 3 KB of
/// every idle connection. Here a small array grows with a burst and is given back once the burst is read.
/// </summary>
/// <remarks>
/// A lock guards the ring: senders to one actor rarely meet, and the lock costs about what the default queue's atomic
/// operations do. A lock-free linked list of envelopes was tried too; it saves as much memory, but allocates a node
/// per message and delivered less in the fan-out benchmark.
/// </remarks>
public sealed class CompactMessageList : IMessageQueue, IUnboundedMessageQueueSemantics
{
    private const int InitialCapacity = 4;

    // A ring grown past this by a burst is replaced by a small one once it is empty again.
    private const int KeptCapacity = 64;

    // A ring of envelopes in this object itself, guarded by locking it: no queue or lock object beside it, which would be
    // two more objects per actor.
    private Envelope[]? ring;
    private int head;
    private int count;

    public bool HasMessages => Volatile.Read(ref count) > 0;

    public int Count => Volatile.Read(ref count);

    public void Enqueue(IActorRef receiver, Envelope envelope)
    {
        lock (this)
        {
            if (ring is null)
            {
                ring = new Envelope[InitialCapacity];
            }
            else if (count == ring.Length)
            {
                Grow();
            }

            ring[(head + count) % ring.Length] = envelope;
            Volatile.Write(ref count, count + 1);
        }
    }

    public bool TryDequeue(out Envelope envelope)
    {
        lock (this)
        {
            if (count == 0)
            {
                envelope = default;
                return false;
            }

            envelope = ring![head];
            ring[head] = default;
            head = (head + 1) % ring.Length;
            Volatile.Write(ref count, count - 1);
            if (count == 0)
            {
                head = 0;
                if (ring.Length > KeptCapacity)
                {
                    ring = new Envelope[InitialCapacity];
                }
            }

            return true;
        }
    }

    private void Grow()
    {
        var grown = new Envelope[ring!.Length * 2];
        for (var i = 0; i < count; i++)
        {
            grown[i] = ring[(head + i) % ring.Length];
        }

        ring = grown;
        head = 0;
    }

    public void CleanUp(IActorRef owner, IMessageQueue deadletters)
    {
        while (TryDequeue(out var envelope))
        {
            deadletters.Enqueue(owner, envelope);
        }
    }
}
