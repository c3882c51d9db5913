using System.Data.Common;
using System.Globalization;
using Akka.Configuration;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Actors.Mqtt.Broker.Persistence;

/// <summary>One journal row as a recovery needs it.</summary>
public readonly record struct JournalRecord(long SequenceNr, byte[] Payload, int? SerializerId, string Manifest, long Timestamp);

/// <summary>A session's latest snapshot as a recovery needs it; <see cref="Created"/> in ticks.</summary>
public readonly record struct SnapshotRecord(long SequenceNr, long Created, byte[] Payload, int? SerializerId, string Manifest);

/// <summary>
/// The reads of a session's recovery (its latest snapshot; its highest sequence number, then its events) as plain SQL
/// against the tables Akka.Persistence.Sql writes: its own reads build each query anew through linq2db, open a
/// transaction and, for events, run an Akka.Streams graph per replay, which cost more CPU than the rest of a reconnect
/// together (docs/architecture.md, "Recovery reads"). Tables, columns and the meaning of each are the plugin's, read
/// from the plugin's configuration: rows marked deleted count for the highest sequence number but are not replayed, as
/// the plugin's own reads do with <c>delete-compatibility-mode = false</c>.
/// </summary>
public abstract class RecoveryReader
{
    private readonly string query;
    private readonly string? highestQuery;

    private protected RecoveryReader(string table, Config columns, bool snapshots, string falseLiteral)
    {
        string Column(string name) => Quote(columns.GetString(name));
        var pid = Column("persistence-id");
        var seq = Column("sequence-number");
        if (snapshots)
        {
            query = $"SELECT {seq}, {Column("created")}, {Column("snapshot")}, {Column("serializerId")}, {Column("manifest")} FROM {table} " +
                $"WHERE {pid} = @pid ORDER BY {seq} DESC LIMIT 1";
            return;
        }

        highestQuery = $"SELECT MAX({seq}) FROM {table} WHERE {pid} = @pid AND {seq} > @from";
        query = $"SELECT {seq}, {Column("message")}, {Column("identifier")}, {Column("manifest")}, {Column("created")} FROM {table} " +
            $"WHERE {pid} = @pid AND {seq} >= @from AND {seq} <= @to AND {Column("deleted")} = {falseLiteral} ORDER BY {seq} LIMIT @max";
    }

    /// <summary>The reader of the journal plugin configured by <paramref name="plugin"/> (its section, with the plugin's
    /// defaults behind it), or null for a setup it does not know: the plugin's own reads serve then.</summary>
    public static RecoveryReader? ForJournal(Config plugin) =>
        plugin.GetBoolean("delete-compatibility-mode") ? null : For(plugin, "journal");

    /// <summary>The reader of the snapshot store plugin configured by <paramref name="plugin"/>, or null as for
    /// <see cref="ForJournal"/>.</summary>
    public static RecoveryReader? ForSnapshots(Config plugin) => For(plugin, "snapshot");

    private static RecoveryReader? For(Config plugin, string section)
    {
        var provider = plugin.GetString("provider-name") ?? string.Empty;
        var mapping = plugin.GetString("table-mapping");
        if (string.IsNullOrEmpty(mapping) || mapping == "default")
        {
            return null;
        }

        var tables = plugin.GetConfig(mapping).GetConfig(section);
        var schema = plugin.GetConfig(mapping).GetString("schema-name");
        var table = (string.IsNullOrEmpty(schema) ? string.Empty : Quote(schema) + ".") + Quote(tables.GetString("table-name"));
        var connection = plugin.GetString("connection-string");
        var snapshots = section == "snapshot";
        if (provider.StartsWith("SQLite", StringComparison.OrdinalIgnoreCase))
        {
            return new SqliteReader(connection, table, tables.GetConfig("columns"), snapshots);
        }

        return provider.StartsWith("PostgreSQL", StringComparison.OrdinalIgnoreCase)
            ? new PostgreSqlReader(connection, table, tables.GetConfig("columns"), snapshots)
            : null;
    }

    /// <summary>The snapshot with the highest sequence number of the persistence id, or null.</summary>
    public Task<SnapshotRecord?> LatestSnapshotAsync(string persistenceId, CancellationToken cancellation) =>
        QueryAsync<SnapshotRecord?>(
            query,
            [("pid", persistenceId)],
            async reader => await reader.ReadAsync(cancellation).ConfigureAwait(false)
                ? new SnapshotRecord(
                    reader.GetInt64(0),
                    reader.GetInt64(1),
                    (byte[])reader.GetValue(2),
                    reader.IsDBNull(3) ? null : reader.GetInt32(3),
                    reader.IsDBNull(4) ? string.Empty : reader.GetString(4))
                : null,
            cancellation);

    /// <summary>The highest sequence number above <paramref name="from"/> the journal ever held for the persistence id,
    /// deleted events included; 0 if none.</summary>
    public Task<long> HighestSequenceNrAsync(string persistenceId, long from, CancellationToken cancellation) =>
        QueryAsync(
            highestQuery!,
            [("pid", persistenceId), ("from", from)],
            async reader => await reader.ReadAsync(cancellation).ConfigureAwait(false) && !reader.IsDBNull(0)
                ? Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture)
                : 0,
            cancellation);

    /// <summary>The events from <paramref name="from"/> to <paramref name="to"/> not deleted, at most
    /// <paramref name="max"/>, in order.</summary>
    public Task ReplayAsync(string persistenceId, long from, long to, long max, Action<JournalRecord> each) =>
        QueryAsync(
            query,
            [("pid", persistenceId), ("from", from), ("to", to), ("max", max)],
            async reader =>
            {
                while (await reader.ReadAsync().ConfigureAwait(false))
                {
                    each(new JournalRecord(
                        reader.GetInt64(0),
                        (byte[])reader.GetValue(1),
                        reader.IsDBNull(2) ? null : reader.GetInt32(2),
                        reader.IsDBNull(3) ? string.Empty : reader.GetString(3),
                        reader.IsDBNull(4) ? 0 : reader.GetInt64(4)));
                }

                return true;
            },
            CancellationToken.None);

    private protected abstract Task<DbConnection> OpenAsync(CancellationToken cancellation);

    /// <summary>Closes the idle pooled connections, which a restart of the database server left broken.</summary>
    private protected virtual void ClearPool()
    {
    }

    private async Task<T> QueryAsync<T>(string text, (string Name, object Value)[] parameters, Func<DbDataReader, Task<T>> read, CancellationToken cancellation)
    {
        for (var attempt = 0; ; attempt++)
        {
            var connection = await OpenAsync(cancellation).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var command = Command(connection, text, parameters);
                await using (command.ConfigureAwait(false))
                {
                    DbDataReader reader;
                    try
                    {
                        reader = await command.ExecuteReaderAsync(cancellation).ConfigureAwait(false);
                    }
                    catch (DbException) when (attempt == 0)
                    {
                        // A pooled connection the server closed meanwhile fails at its first command, before any row
                        // was read: once more on a new connection.
                        ClearPool();
                        continue;
                    }

                    await using (reader.ConfigureAwait(false))
                    {
                        return await read(reader).ConfigureAwait(false);
                    }
                }
            }
        }
    }

    private static DbCommand Command(DbConnection connection, string text, (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = text;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    private static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private sealed class SqliteReader(string connectionString, string table, Config columns, bool snapshots) : RecoveryReader(table, columns, snapshots, "0")
    {
        private protected override async Task<DbConnection> OpenAsync(CancellationToken cancellation)
        {
            // Pooled, as the plugin's own connections are; a read in write-ahead-log mode never waits for a writer.
            var connection = new SqliteConnection(connectionString);
            await connection.OpenAsync(cancellation).ConfigureAwait(false);
            return connection;
        }
    }

    private sealed class PostgreSqlReader(string connectionString, string table, Config columns, bool snapshots) : RecoveryReader(table, columns, snapshots, "FALSE")
    {
        private readonly NpgsqlDataSource source = NpgsqlDataSource.Create(connectionString);

        private protected override async Task<DbConnection> OpenAsync(CancellationToken cancellation) =>
            await source.OpenConnectionAsync(cancellation).ConfigureAwait(false);

        private protected override void ClearPool() => source.Clear();
    }
}
