using Actors.Mqtt.Integration.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Actors.Mqtt.Integration.Tests.Durability;

/// <summary>
/// An in-process broker on a SQLite file of its own that a test stops and starts again, as an operator restarts the
/// broker: what the journal held must be there afterwards.
/// </summary>
public sealed class SqliteBroker : IAsyncDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("actors-mqtt-durable-").FullName;
    private readonly IReadOnlyList<string> extra;
    private BrokerFixture? running;

    public SqliteBroker(params string[] extra)
    {
        this.extra = extra;
    }

    public string DatabasePath => Path.Combine(directory, "broker.db");

    /// <summary>Where the broker keeps snapshots: a file of their own beside the journal.</summary>
    public string SnapshotDatabasePath => Path.Combine(directory, "broker.snapshots.db");

    /// <summary>
    /// Puts the broker's files back into the layout of the first durable version, which kept snapshots in the journal
    /// file: the snapshot table (same definition, same rows) moves into it and the snapshot file is deleted.
    /// </summary>
    public async Task MoveSnapshotsIntoJournalFileAsync()
    {
        SqliteConnection.ClearAllPools();
        await using (var journal = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString()))
        {
            await journal.OpenAsync();
            await using var attach = journal.CreateCommand();
            attach.CommandText = "ATTACH DATABASE $path AS old";
            attach.Parameters.AddWithValue("$path", SnapshotDatabasePath);
            await attach.ExecuteNonQueryAsync();
            await using var definition = journal.CreateCommand();
            definition.CommandText = "SELECT sql FROM old.sqlite_master WHERE type = 'table' AND name = 'snapshot'";
            var create = (string)(await definition.ExecuteScalarAsync())!;
            await using var copy = journal.CreateCommand();
            copy.CommandText = create + "; INSERT INTO main.snapshot SELECT * FROM old.snapshot; DETACH DATABASE old;";
            await copy.ExecuteNonQueryAsync();
        }

        foreach (var suffix in new[] { string.Empty, "-wal", "-shm" })
        {
            File.Delete(SnapshotDatabasePath + suffix);
        }
    }

    /// <summary>The rows of <paramref name="table"/> in <paramref name="file"/> that belong to one journal, or null
    /// when the file has no such table.</summary>
    public static async Task<long?> CountRowsAsync(string file, string table, string persistenceId)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var exists = connection.CreateCommand();
        exists.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $table";
        exists.Parameters.AddWithValue("$table", table);
        if ((long)(await exists.ExecuteScalarAsync())! == 0)
        {
            return null;
        }

        await using var count = connection.CreateCommand();
        count.CommandText = $"SELECT COUNT(*) FROM {table} WHERE persistence_id = $id";
        count.Parameters.AddWithValue("$id", persistenceId);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// Whether one journal has a snapshot at its last event and every event before that one deleted behind it: what
    /// deleting events behind each snapshot leaves once it is done.
    /// </summary>
    public async Task<bool> IsSnapshottedToTheLastEventAsync(string persistenceId)
    {
        await using var journal = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await journal.OpenAsync();
        await using var events = journal.CreateCommand();
        events.CommandText = "SELECT MAX(sequence_nr), SUM(is_deleted = 0 AND sequence_nr < (SELECT MAX(sequence_nr) FROM event_journal WHERE persistence_id = $id)) FROM event_journal WHERE persistence_id = $id";
        events.Parameters.AddWithValue("$id", persistenceId);
        await using var reader = await events.ExecuteReaderAsync();
        await reader.ReadAsync();
        var last = reader.GetInt64(0);
        var liveBeforeLast = reader.GetInt64(1);

        await using var snapshots = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = SnapshotDatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await snapshots.OpenAsync();
        await using var snapshot = snapshots.CreateCommand();
        snapshot.CommandText = "SELECT COUNT(*) FROM snapshot WHERE persistence_id = $id AND sequence_nr = $last";
        snapshot.Parameters.AddWithValue("$id", persistenceId);
        snapshot.Parameters.AddWithValue("$last", last);
        return liveBeforeLast == 0 && (long)(await snapshot.ExecuteScalarAsync())! == 1;
    }

    public BrokerFixture Current => running ?? throw new InvalidOperationException("the broker is not running");

    public async Task<BrokerFixture> StartAsync()
    {
        var broker = new BrokerFixture
        {
            Overrides = ["actors-mqtt.persistence.store=sqlite", $"actors-mqtt.persistence.sqlite.path={DatabasePath}", .. extra],
        };
        await broker.InitializeAsync();
        running = broker;
        return broker;
    }

    public async Task StopAsync()
    {
        if (running is { } broker)
        {
            running = null;
            await broker.DisposeAsync();
        }
    }

    public async Task<BrokerFixture> RestartAsync()
    {
        await StopAsync();
        return await StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a pool being torn down; the temp folder is cleaned by the system later.
        }
    }
}
