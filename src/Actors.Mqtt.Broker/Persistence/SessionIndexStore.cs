using System.Data.Common;
using System.Globalization;
using Actors.Mqtt.Broker.Routing;
using Google.Protobuf;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Actors.Mqtt.Broker.Persistence;

/// <summary>
/// The session index: one row per journaled session in the store of the journal (a SQLite file beside the journal's, or
/// a table of the PostgreSQL database), so that a broker starts by reading subscriptions and deadlines instead of
/// recovering every session (docs/architecture.md, "Sleeping sessions"). The journal stays the truth; a row is what a
/// session last said of itself, and every session says it again when it recovers.
/// </summary>
public abstract class SessionIndexStore
{
    private readonly string table;

    private SessionIndexStore(string table) => this.table = table;

    /// <summary>The index of a durable store; null for the memory store, whose sessions do not outlive the broker.</summary>
    public static SessionIndexStore? For(StoreSettings store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.Store switch
        {
            StoreKind.Sqlite => new SqliteIndex(store),
            StoreKind.PostgreSql => new PostgreSqlIndex(store),
            _ => null,
        };
    }

    /// <summary>Makes the table if it is not there.</summary>
    public async Task InitializeAsync(CancellationToken cancellation = default)
    {
        var connection = await OpenAsync(cancellation).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await ExecuteAsync(connection, null, $"""
                CREATE TABLE IF NOT EXISTS {table} (
                  client_id TEXT PRIMARY KEY,
                  subscriptions {BlobType} NOT NULL,
                  expiry_seconds BIGINT NULL,
                  will_delay_seconds BIGINT NULL,
                  detached_at BIGINT NULL,
                  deadline BIGINT NULL,
                  node TEXT NOT NULL)
                """, cancellation).ConfigureAwait(false);
            await ExecuteAsync(connection, null, $"CREATE INDEX IF NOT EXISTS {IndexName} ON {table} (deadline)", cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>Writes rows and removes others in one transaction: a row is replaced whole.</summary>
    public async Task WriteAsync(IReadOnlyCollection<SessionIndexEntry> entries, IReadOnlyCollection<string> removed, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(removed);
        var connection = await OpenAsync(cancellation).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellation).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                // One statement of each kind per batch, its parameters set again for each row.
                var upsert = Command(connection, transaction, $"""
                    INSERT INTO {table} (client_id, subscriptions, expiry_seconds, will_delay_seconds, detached_at, deadline, node)
                    VALUES (@client, @subscriptions, @expiry, @will, @detached, @deadline, @node)
                    ON CONFLICT (client_id) DO UPDATE SET subscriptions = excluded.subscriptions,
                      expiry_seconds = excluded.expiry_seconds, will_delay_seconds = excluded.will_delay_seconds,
                      detached_at = excluded.detached_at, deadline = excluded.deadline, node = excluded.node
                    """,
                    ("client", null), ("subscriptions", null), ("expiry", null), ("will", null), ("detached", null), ("deadline", null), ("node", null));
                await using (upsert.ConfigureAwait(false))
                {
                    foreach (var entry in entries)
                    {
                        Set(upsert, "client", entry.ClientId);
                        Set(upsert, "subscriptions", Encode(entry.Subscriptions));
                        Set(upsert, "expiry", entry.ExpiryInterval == uint.MaxValue ? null : (long)entry.ExpiryInterval);
                        Set(upsert, "will", (long?)entry.WillDelay);
                        Set(upsert, "detached", entry.DetachedAt?.ToUnixTimeMilliseconds());
                        Set(upsert, "deadline", entry.Deadline?.ToUnixTimeMilliseconds());
                        Set(upsert, "node", entry.Node);
                        await upsert.ExecuteNonQueryAsync(cancellation).ConfigureAwait(false);
                    }
                }

                var delete = Command(connection, transaction, $"DELETE FROM {table} WHERE client_id = @client", ("client", null));
                await using (delete.ConfigureAwait(false))
                {
                    foreach (var clientId in removed)
                    {
                        Set(delete, "client", clientId);
                        await delete.ExecuteNonQueryAsync(cancellation).ConfigureAwait(false);
                    }
                }

                await transaction.CommitAsync(cancellation).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Sessions that a connection held when their node stopped (every node, when <paramref name="node"/> is null) lost it
    /// then: they count as detached at <paramref name="at"/>, and their deadlines follow. Returns how many there were.
    /// </summary>
    public async Task<int> DetachAllAsync(DateTimeOffset at, string? node, CancellationToken cancellation = default)
    {
        var connection = await OpenAsync(cancellation).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = Command(connection, null, $"""
                UPDATE {table} SET detached_at = @at, deadline = CASE
                  WHEN will_delay_seconds IS NOT NULL AND expiry_seconds IS NOT NULL AND expiry_seconds < will_delay_seconds THEN @at + 1000 * expiry_seconds
                  WHEN will_delay_seconds IS NOT NULL THEN @at + 1000 * will_delay_seconds
                  WHEN expiry_seconds IS NOT NULL THEN @at + 1000 * expiry_seconds
                  ELSE NULL END
                WHERE detached_at IS NULL{(node is null ? string.Empty : " AND node = @node")}
                """,
                node is null ? [("at", at.ToUnixTimeMilliseconds())] : [("at", at.ToUnixTimeMilliseconds()), ("node", node)]);
            await using (command.ConfigureAwait(false))
            {
                return await command.ExecuteNonQueryAsync(cancellation).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Every session's subscriptions, in batches of at most <paramref name="batch"/> sessions.</summary>
    public async IAsyncEnumerable<IReadOnlyList<IReadOnlyList<Subscription>>> ReadSubscriptionsAsync(int batch, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation = default)
    {
        var connection = await OpenAsync(cancellation).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = Command(connection, null, $"SELECT subscriptions FROM {table}");
            await using (command.ConfigureAwait(false))
            {
                var reader = await command.ExecuteReaderAsync(cancellation).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    var sessions = new List<IReadOnlyList<Subscription>>(batch);
                    while (await reader.ReadAsync(cancellation).ConfigureAwait(false))
                    {
                        if (Decode((byte[])reader.GetValue(0)) is { Count: > 0 } subscriptions)
                        {
                            sessions.Add(subscriptions);
                        }

                        if (sessions.Count == batch)
                        {
                            yield return sessions;
                            sessions = new List<IReadOnlyList<Subscription>>(batch);
                        }
                    }

                    if (sessions.Count > 0)
                    {
                        yield return sessions;
                    }
                }
            }
        }
    }

    /// <summary>Sessions whose deadline is at or before <paramref name="now"/>, earliest first, with when they lost their
    /// connection.</summary>
    public async Task<IReadOnlyList<(string ClientId, DateTimeOffset DetachedAt)>> DueAsync(DateTimeOffset now, int limit, CancellationToken cancellation = default)
    {
        var connection = await OpenAsync(cancellation).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = Command(connection, null, $"SELECT client_id, detached_at FROM {table} WHERE deadline <= @now ORDER BY deadline LIMIT @limit", ("now", now.ToUnixTimeMilliseconds()), ("limit", limit));
            await using (command.ConfigureAwait(false))
            {
                var reader = await command.ExecuteReaderAsync(cancellation).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    var due = new List<(string, DateTimeOffset)>();
                    while (await reader.ReadAsync(cancellation).ConfigureAwait(false))
                    {
                        due.Add((reader.GetString(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1))));
                    }

                    return due;
                }
            }
        }
    }

    /// <summary>How many sessions the index holds as detached: durable sessions whose client is not connected, asleep or
    /// in memory, on every node.</summary>
    public async Task<long> CountDetachedAsync(CancellationToken cancellation = default)
    {
        var connection = await OpenAsync(cancellation).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = Command(connection, null, $"SELECT COUNT(*) FROM {table} WHERE detached_at IS NOT NULL");
            await using (command.ConfigureAwait(false))
            {
                return Convert.ToInt64(await command.ExecuteScalarAsync(cancellation).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
            }
        }
    }

    /// <summary>Whether the index has no row: a store written before the index existed has none at its first start.</summary>
    public async Task<bool> IsEmptyAsync(CancellationToken cancellation = default)
    {
        var connection = await OpenAsync(cancellation).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var command = Command(connection, null, $"SELECT 1 FROM {table} LIMIT 1");
            await using (command.ConfigureAwait(false))
            {
                return await command.ExecuteScalarAsync(cancellation).ConfigureAwait(false) is null;
            }
        }
    }

    private protected abstract string BlobType { get; }

    private string IndexName => table.Replace("\"", string.Empty, StringComparison.Ordinal).Replace('.', '_') + "_deadline";

    private protected abstract Task<DbConnection> OpenAsync(CancellationToken cancellation);

    private static byte[] Encode(IReadOnlyList<Subscription> subscriptions) =>
        new Proto.Subscribed { Subscriptions = { subscriptions.Select(JournalFormats.ToProto) } }.ToByteArray();

    private static List<Subscription> Decode(byte[] bytes) =>
        [.. Proto.Subscribed.Parser.ParseFrom(bytes).Subscriptions.Select(JournalFormats.FromProto)];

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellation, params (string Name, object? Value)[] parameters)
    {
        var command = Command(connection, transaction, sql, parameters);
        await using (command.ConfigureAwait(false))
        {
            await command.ExecuteNonQueryAsync(cancellation).ConfigureAwait(false);
        }
    }

    private static void Set(DbCommand command, string name, object? value) =>
        command.Parameters["@" + name].Value = value ?? DBNull.Value;

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@" + name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    /// <summary>
    /// A file of its own beside the journal, as the snapshots have: SQLite lets one connection write to a file at a
    /// time, and the index's writes would otherwise wait for the journal's and hold them up.
    /// </summary>
    private sealed class SqliteIndex(StoreSettings store) : SessionIndexStore("session_index")
    {
        private readonly string connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.GetFullPath(store.SqliteIndexPath),
            Pooling = true,
        }.ToString();

        private readonly string pragmas = string.Create(
            CultureInfo.InvariantCulture,
            $"PRAGMA busy_timeout = {(long)store.SqliteBusyTimeout.TotalMilliseconds}; PRAGMA synchronous = {(store.SqliteSynchronous == SqliteSync.Full ? "FULL" : "NORMAL")};");

        private bool writeAheadLog;

        private protected override string BlobType => "BLOB";

        private protected override async Task<DbConnection> OpenAsync(CancellationToken cancellation)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(store.SqliteIndexPath))!);
            var connection = new SqliteConnection(connectionString);
            await connection.OpenAsync(cancellation).ConfigureAwait(false);
            await ExecuteAsync(connection, null, pragmas, cancellation).ConfigureAwait(false);
            if (!writeAheadLog)
            {
                // A property of the file: set once, before the index's first write.
                await ExecuteAsync(connection, null, "PRAGMA journal_mode = WAL", cancellation).ConfigureAwait(false);
                writeAheadLog = true;
            }

            return connection;
        }
    }

    private sealed class PostgreSqlIndex(StoreSettings store)
        : SessionIndexStore($"\"{store.PostgreSqlSchema.Replace("\"", "\"\"", StringComparison.Ordinal)}\".actors_mqtt_session_index")
    {
        private readonly NpgsqlDataSource source = NpgsqlDataSource.Create(store.PostgreSqlConnectionString);

        private protected override string BlobType => "BYTEA";

        private protected override async Task<DbConnection> OpenAsync(CancellationToken cancellation) =>
            await source.OpenConnectionAsync(cancellation).ConfigureAwait(false);
    }
}
