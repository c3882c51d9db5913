using System.Collections.Immutable;
using Akka.Persistence;
using Akka.Persistence.Journal;

namespace Actors.Mqtt.Broker.Tests.Sessions;

/// <summary>
/// The in-memory journal, whose writes wait while the test holds its gate: what a session does before a write lands
/// becomes visible. One gate for the process: the test classes that use it share the collection named after it, so that
/// they never run at once.
/// </summary>
public sealed class GatedJournal : MemoryJournal
{
    private static TaskCompletionSource gate = Opened();

    /// <summary>Holds every write from now until the result is disposed.</summary>
    public static IDisposable Closed()
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref gate, closed);
        return new Opener(closed);
    }

    protected override async Task<IImmutableList<Exception>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        await Volatile.Read(ref gate).Task.ConfigureAwait(false);
        return await base.WriteMessagesAsync(messages, cancellationToken).ConfigureAwait(false);
    }

    private sealed class Opener(TaskCompletionSource closed) : IDisposable
    {
        public void Dispose() => closed.TrySetResult();
    }

    private static TaskCompletionSource Opened()
    {
        var opened = new TaskCompletionSource();
        opened.SetResult();
        return opened;
    }
}
