using Akka.Actor;
using Akka.Event;

namespace Actors.Mqtt.Broker.Persistence;

// States:
//   IDLE --change--> WRITING --written--> IDLE, or WRITING again with the changes that came meanwhile
//   WRITING --failed--> WAITING (retry timer, 1 s doubling to 30 s) --> WRITING, the failed batch merged under newer changes

/// <summary>
/// The one writer of the session index on a node: the changes its sessions send while a write is on its way are
/// written together in the next one, a session's latest change replacing its earlier ones, as the journal batches
/// events. A write that fails is tried again until it lands; whoever waits for it keeps waiting.
/// </summary>
public sealed class SessionIndexActor : ReceiveActor, IWithTimers
{
    private const string RetryTimer = "retry";
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(30);

    private readonly SessionIndexStore store;
    private readonly ILoggingAdapter log = Context.GetLogger();

    // A client id's latest change not yet written: its row, or null to remove it.
    private Dictionary<string, SessionIndexEntry?> changes = new(StringComparer.Ordinal);
    private List<(IActorRef To, long Token)> answers = [];
    private bool writing;
    private TimeSpan retryAfter = FirstRetry;
    private int failuresInARow;

    public SessionIndexActor(SessionIndexStore store)
    {
        this.store = store;
        Receive<IndexSession>(index =>
        {
            changes[index.Entry.ClientId] = index.Entry;
            if (index.Token != 0)
            {
                answers.Add((Sender, index.Token));
            }

            WriteWhenIdle();
        });
        Receive<ForgetIndexedSession>(forget =>
        {
            changes[forget.ClientId] = null;
            WriteWhenIdle();
        });
        Receive<BatchWritten>(OnWritten);
        Receive<RetryNow>(_ => WriteWhenIdle());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(SessionIndexStore store) => Akka.Actor.Props.Create(() => new SessionIndexActor(store));

    private void WriteWhenIdle()
    {
        if (writing || changes.Count == 0 || Timers.IsTimerActive(RetryTimer))
        {
            return;
        }

        var batch = changes;
        var waiting = answers;
        changes = new Dictionary<string, SessionIndexEntry?>(StringComparer.Ordinal);
        answers = [];
        writing = true;
        var entries = batch.Values.OfType<SessionIndexEntry>().ToList();
        var removed = batch.Where(c => c.Value is null).Select(c => c.Key).ToList();
        store.WriteAsync(entries, removed).ContinueWith(
            written => new BatchWritten(batch, waiting, written.Exception?.GetBaseException()),
            TaskScheduler.Default).PipeTo(Self);
    }

    private void OnWritten(BatchWritten written)
    {
        writing = false;
        if (written.Failure is { } failure)
        {
            // Newer changes win over the failed batch's; its waiters wait for the retry.
            foreach (var (clientId, entry) in written.Batch)
            {
                changes.TryAdd(clientId, entry);
            }

            answers.InsertRange(0, written.Answers);
            failuresInARow++;
            if (failuresInARow == 1)
            {
                log.Error(failure, "Session index: write of {Count} sessions failed; trying again until it lands", written.Batch.Count);
            }

            Timers.StartSingleTimer(RetryTimer, RetryNow.Instance, retryAfter);
            retryAfter = TimeSpan.FromTicks(Math.Min(retryAfter.Ticks * 2, LastRetry.Ticks));
            return;
        }

        if (failuresInARow > 0)
        {
            log.Info("Session index: writing again after {Failures} failed attempts", failuresInARow);
            failuresInARow = 0;
            retryAfter = FirstRetry;
        }

        foreach (var (to, token) in written.Answers)
        {
            to.Tell(new SessionIndexed(token));
        }

        WriteWhenIdle();
    }

    private sealed record BatchWritten(Dictionary<string, SessionIndexEntry?> Batch, List<(IActorRef To, long Token)> Answers, Exception? Failure);

    private sealed record RetryNow
    {
        public static readonly RetryNow Instance = new();
    }
}
