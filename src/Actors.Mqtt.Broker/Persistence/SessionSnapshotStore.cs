using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Snapshot;

namespace Actors.Mqtt.Broker.Persistence;

/// <summary>
/// Akka.Persistence.Sql's snapshot store, whose writes, deletions and table it keeps, with the read of a recovery (the
/// latest snapshot) done by <see cref="RecoveryReader"/>, as <see cref="SessionJournal"/> does for events
/// (docs/architecture.md, "Recovery reads"). Other selections, which sessions never make, stay the plugin's.
/// </summary>
public sealed class SessionSnapshotStore : SqlSnapshotStore
{
    private readonly RecoveryReader? reader;
    private readonly Akka.Serialization.Serialization serialization;

    public SessionSnapshotStore(Config snapshotConfig)
        : base(snapshotConfig)
    {
        reader = RecoveryReader.ForSnapshots(snapshotConfig.WithFallback(SqlPersistence.DefaultSnapshotConfiguration));
        serialization = Context.System.Serialization;
    }

    protected override async Task<SelectedSnapshot?> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken)
    {
        if (reader is null || criteria.MaxSequenceNr != long.MaxValue || criteria.MaxTimeStamp != DateTime.MaxValue)
        {
            return await base.LoadAsync(persistenceId, criteria, cancellationToken).ConfigureAwait(false);
        }

        if (await reader.LatestSnapshotAsync(persistenceId, cancellationToken).ConfigureAwait(false) is not { } row)
        {
            return null;
        }

        // Snapshots this plugin wrote always name their serializer; one without is older than this broker.
        var snapshot = row.SerializerId is { } serializer
            ? serialization.Deserialize(row.Payload, serializer, row.Manifest)
            : throw new InvalidOperationException($"Snapshot {persistenceId}/{row.SequenceNr} names no serializer");
        return new SelectedSnapshot(new SnapshotMetadata(persistenceId, row.SequenceNr, new DateTime(row.Created)), snapshot);
    }
}
