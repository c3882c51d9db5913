using Akka.Actor;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace Actors.Mqtt.Broker.Mailboxes;

/// <summary>
/// <see cref="CompactMessageList"/> for actors that stash (persistent actors do while they recover or write): messages
/// put back in front are read first. Only the actor itself puts messages back, on the thread that reads the queue, so
/// the front needs no lock.
/// </summary>
public sealed class CompactDequeMessageList : IMessageQueue, IUnboundedDequeBasedMessageQueueSemantics
{
    private readonly CompactMessageList queue = new();
    private Stack<Envelope>? front;

    public bool HasMessages => front is { Count: > 0 } || queue.HasMessages;

    public int Count => (front?.Count ?? 0) + queue.Count;

    public void Enqueue(IActorRef receiver, Envelope envelope) => queue.Enqueue(receiver, envelope);

    public void EnqueueFirst(Envelope envelope) => (front ??= new Stack<Envelope>()).Push(envelope);

    public bool TryDequeue(out Envelope envelope)
    {
        if (front is { Count: > 0 })
        {
            envelope = front.Pop();
            return true;
        }

        return queue.TryDequeue(out envelope);
    }

    public void CleanUp(IActorRef owner, IMessageQueue deadletters)
    {
        while (TryDequeue(out var envelope))
        {
            deadletters.Enqueue(owner, envelope);
        }
    }
}
