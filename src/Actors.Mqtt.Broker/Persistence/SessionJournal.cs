using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Journal;

namespace Actors.Mqtt.Broker.Persistence;

/// <summary>
/// Akka.Persistence.Sql's journal, whose writes, deletions and tables it keeps, with the reads of a recovery done by
/// <see cref="RecoveryReader"/>: every connect of a session, clean or not, and every wake-up of a sleeping one recovers
/// (docs/architecture.md, "Recovery reads").
/// </summary>
public sealed class SessionJournal : SqlWriteJournal
{
    private readonly RecoveryReader? reader;
    private readonly Akka.Serialization.Serialization serialization;

    // The last write of each persistence id still running: its highest sequence number is read once it ended, as the
    // plugin's own read waits for it (an actor stopped and started again at once must not reuse a number).
    private readonly Dictionary<string, Task> writing = new(StringComparer.Ordinal);

    public SessionJournal(Config journalConfig)
        : base(journalConfig)
    {
        reader = RecoveryReader.ForJournal(journalConfig.WithFallback(SqlPersistence.DefaultJournalConfiguration));
        serialization = Context.System.Serialization;
    }

    public override async Task<long> ReadHighestSequenceNrAsync(string persistenceId, long fromSequenceNr, CancellationToken cancellationToken)
    {
        if (reader is null)
        {
            return await base.ReadHighestSequenceNrAsync(persistenceId, fromSequenceNr, cancellationToken).ConfigureAwait(false);
        }

        if (writing.TryGetValue(persistenceId, out var write))
        {
            // Whether it succeeded or not, only that it ended.
            await write.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }

        return await reader.HighestSequenceNrAsync(persistenceId, fromSequenceNr, cancellationToken).ConfigureAwait(false);
    }

    public override async Task ReplayMessagesAsync(IActorContext context, string persistenceId, long fromSequenceNr, long toSequenceNr, long max, Action<IPersistentRepresentation> recoveryCallback)
    {
        if (reader is null)
        {
            await base.ReplayMessagesAsync(context, persistenceId, fromSequenceNr, toSequenceNr, max, recoveryCallback).ConfigureAwait(false);
            return;
        }

        await reader.ReplayAsync(persistenceId, fromSequenceNr, toSequenceNr, max, row =>
        {
            // Rows this plugin wrote always name their serializer; one without is older than this broker.
            var payload = row.SerializerId is { } serializer
                ? serialization.Deserialize(row.Payload, serializer, row.Manifest)
                : throw new InvalidOperationException($"Journal row {persistenceId}/{row.SequenceNr} names no serializer");
            recoveryCallback(new Persistent(payload, row.SequenceNr, persistenceId, row.Manifest, isDeleted: false, ActorRefs.NoSender, writerGuid: null, row.Timestamp));
        }).ConfigureAwait(false);
    }

    protected override Task<IImmutableList<Exception>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        var batch = messages as IReadOnlyList<AtomicWrite> ?? [.. messages];
        var write = base.WriteMessagesAsync(batch, cancellationToken);
        if (reader is not null && batch.Count > 0)
        {
            var persistenceId = batch[0].PersistenceId;
            writing[persistenceId] = write;
            var self = Self;
            write.ContinueWith(_ => self.Tell(new WriteEnded(persistenceId, write)), TaskContinuationOptions.ExecuteSynchronously);
        }

        return write;
    }

    protected override bool ReceivePluginInternal(object message)
    {
        if (message is WriteEnded ended)
        {
            if (writing.TryGetValue(ended.PersistenceId, out var last) && last == ended.Write)
            {
                writing.Remove(ended.PersistenceId);
            }

            return true;
        }

        return base.ReceivePluginInternal(message);
    }

    private sealed record WriteEnded(string PersistenceId, Task Write);
}
