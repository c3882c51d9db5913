using Actors.Mqtt.Broker.Persistence;
using Akka.Actor;

namespace Actors.Mqtt.Broker.Sessions;

// SessionActor's row of the session index: what the broker knows of the session while it sleeps (docs/architecture.md,
// "Sleeping sessions"), and the answers that wait for the row and for every node's topic tree.
public sealed partial class SessionActor
{
    /// <summary>
    /// Writes the session's row as the session is now, when it is journaled (and removes it when it no longer is);
    /// <paramref name="then"/> runs once the row is written, at once when there is nothing to write. The row is written
    /// after the journal's event that changed it, so the index never holds what the journal does not.
    /// </summary>
    private void IndexNow(Action? then = null)
    {
        if (indexing is null || (!journaling && !indexed))
        {
            then?.Invoke();
            return;
        }

        if (!journaling)
        {
            ForgetIndex();
            then?.Invoke();
            return;
        }

        indexed = true;
        indexing.Writer.Tell(new IndexSession(IndexEntry(), then is null ? 0 : Await(1, then)));
    }

    private SessionIndexEntry IndexEntry() => new(
        clientId,
        [.. state.Subscriptions.Values],
        state.ExpiryInterval,
        state.Will is { } will ? will.Properties?.WillDelayInterval ?? 0 : null,
        connection is null ? state.DetachedAt : null,
        indexing!.Node);

    private void ForgetIndex()
    {
        if (indexing is not null && indexed)
        {
            indexing.Writer.Tell(new ForgetIndexedSession(clientId));
            indexed = false;
        }
    }

    /// <summary>Runs <paramref name="then"/> once <paramref name="parts"/> answers carrying the id returned came back
    /// (<see cref="SessionIndexed"/>, <see cref="Routing.SubscriptionsHeld"/>).</summary>
    private long Await(int parts, Action then)
    {
        var id = ++lastAwait;
        awaiting[id] = (parts, then);
        return id;
    }

    private void Answered(long id)
    {
        if (!awaiting.TryGetValue(id, out var waiting))
        {
            return;
        }

        if (waiting.Parts > 1)
        {
            awaiting[id] = (waiting.Parts - 1, waiting.Then);
            return;
        }

        awaiting.Remove(id);
        waiting.Then();
    }
}
