using System.Data.Common;
using System.Globalization;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Persistence.Sql.Config;
using LinqToDB;
using Microsoft.Data.Sqlite;

namespace Actors.Mqtt.Broker.Persistence;

/// <summary>When SQLite waits for the disk (its <c>synchronous</c> pragma in write-ahead log mode).</summary>
public enum SqliteSync
{
    /// <summary>Every commit is synced: an acknowledged message survives a power loss.</summary>
    Full,

    /// <summary>Commits are synced at checkpoints only: an acknowledged message survives a crash of the broker
    /// (<c>kill -9</c>) but the last commits before a power loss or kernel crash may be lost.</summary>
    Normal,
}

/// <summary>Where sessions and retained messages are journaled.</summary>
public enum StoreKind
{
    /// <summary>Nothing survives a restart (Mosquitto's <c>persistence false</c>).</summary>
    Memory,

    /// <summary>One SQLite file, the default: durable with no setup.</summary>
    Sqlite,

    /// <summary>A PostgreSQL database, shared by the nodes of a cluster.</summary>
    PostgreSql,
}

/// <summary>
/// The <c>actors-mqtt.persistence</c> section, and the Akka.Persistence configuration it stands for. Operators name a
/// store and its location; the plugin settings Akka needs are derived here, so switching stores is configuration only.
/// </summary>
public sealed record StoreSettings
{
    private const string JournalPath = "akka.persistence.journal.sql";
    private const string SnapshotPath = "akka.persistence.snapshot-store.sql";
    private const string QueryPath = QueryPluginId;

    /// <summary>The Akka.Persistence.Query plugin that reads the configured journal.</summary>
    public const string QueryPluginId = "akka.persistence.query.journal.sql";

    public StoreKind Store { get; init; } = StoreKind.Memory;

    /// <summary>The SQLite database file, relative to the current directory unless rooted.</summary>
    public string SqlitePath { get; init; } = "data/actors-mqtt.db";

    public SqliteSync SqliteSynchronous { get; init; } = SqliteSync.Full;

    /// <summary>How long a SQLite write waits for another connection's write to finish before it fails.</summary>
    public TimeSpan SqliteBusyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public string PostgreSqlConnectionString { get; init; } = string.Empty;

    public string PostgreSqlSchema { get; init; } = "public";

    /// <summary>A session or store saves a snapshot after this many events, and its journal restarts from it.</summary>
    public int SnapshotEvery { get; init; } = 1000;

    /// <summary>Keeps the events behind a snapshot for <c>journal replay</c> instead of deleting them.</summary>
    public bool RetainEvents { get; init; }

    /// <summary>How long a publisher's acknowledgement may wait for the sessions and stores that must write the message.</summary>
    public TimeSpan ConfirmTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public bool IsDurable => Store != StoreKind.Memory;

    public static StoreSettings From(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var c = config.GetConfig("actors-mqtt.persistence");
        return new StoreSettings
        {
            Store = c.GetString("store") switch
            {
                "memory" => StoreKind.Memory,
                "sqlite" => StoreKind.Sqlite,
                "postgresql" => StoreKind.PostgreSql,
                var other => throw BrokerSettings.Invalid("persistence.store", $"'{other}' is not a store: expected sqlite, postgresql or memory"),
            },
            SqlitePath = c.GetString("sqlite.path"),
            SqliteSynchronous = c.GetString("sqlite.synchronous") switch
            {
                "full" => SqliteSync.Full,
                "normal" => SqliteSync.Normal,
                var other => throw BrokerSettings.Invalid("persistence.sqlite.synchronous", $"'{other}' is not a mode: expected full or normal"),
            },
            SqliteBusyTimeout = c.GetTimeSpan("sqlite.busy-timeout") is var busy && busy > TimeSpan.Zero
                ? busy
                : throw BrokerSettings.Invalid("persistence.sqlite.busy-timeout", "must be longer than 0"),
            PostgreSqlConnectionString = c.GetString("postgresql.connection-string"),
            PostgreSqlSchema = c.GetString("postgresql.schema"),
            SnapshotEvery = c.GetInt("snapshot-every"),
            RetainEvents = c.GetBoolean("audit.retain-events"),
            ConfirmTimeout = c.GetTimeSpan("confirm-timeout"),
        };
    }

    /// <summary>
    /// The Akka.Persistence plugins for this store, to put in front of the rest of the configuration. For SQLite
    /// the folder is created and the file switched to write-ahead logging first, since that mode is a property of
    /// the file and must be set before the journal opens its connections.
    /// </summary>
    public Config ToAkkaConfig()
    {
        if (Store == StoreKind.Memory)
        {
            return Config.Empty;
        }

        string provider;
        string connection;
        string snapshotConnection;
        string mapping;
        if (Store == StoreKind.Sqlite)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(SqlitePath))!);
            connection = SqliteConnectionString(SqlitePath);
            snapshotConnection = SqliteConnectionString(SqliteSnapshotPath);
            MoveSnapshotsOutOfJournal(connection);
            EnableWriteAheadLog(connection);
            EnableWriteAheadLog(snapshotConnection);
            provider = "SQLite.MS";
            mapping = "sqlite";
        }
        else
        {
            if (string.IsNullOrWhiteSpace(PostgreSqlConnectionString))
            {
                throw new ConfigurationException(
                    "actors-mqtt.persistence.postgresql.connection-string is empty; it is required when store = postgresql");
            }

            connection = PostgreSqlConnectionString;
            snapshotConnection = connection;
            provider = "PostgreSQL.15";
            mapping = "postgresql";
        }

        var schema = Store == StoreKind.PostgreSql
            ? string.Create(CultureInfo.InvariantCulture, $"""
                {JournalPath}.postgresql.schema-name = {Quote(PostgreSqlSchema)}
                {SnapshotPath}.postgresql.schema-name = {Quote(PostgreSqlSchema)}
                {QueryPath}.postgresql.schema-name = {Quote(PostgreSqlSchema)}
                """)
            : string.Empty;
        var text = $"""
            akka.persistence {"{"}
              journal.plugin = "{JournalPath}"
              snapshot-store.plugin = "{SnapshotPath}"
            {"}"}
            {JournalPath} {"{"}
              class = "{typeof(SessionJournal).AssemblyQualifiedName}"
              connection-string = {Quote(connection)}
              provider-name = "{provider}"
              table-mapping = {mapping}
              auto-initialize = true
              parallelism = {(Store == StoreKind.Sqlite ? 1 : 3)}
            {"}"}
            {SnapshotPath} {"{"}
              class = "{typeof(SessionSnapshotStore).AssemblyQualifiedName}"
              connection-string = {Quote(snapshotConnection)}
              provider-name = "{provider}"
              table-mapping = {mapping}
              auto-initialize = true
            {"}"}
            {QueryPath} {"{"}
              connection-string = {Quote(connection)}
              provider-name = "{provider}"
              table-mapping = {mapping}
              write-plugin = "{JournalPath}"
              refresh-interval = 100ms
              # The broker reads the journal once at start (which sessions exist) and `journal replay` reads one
              # session: neither needs the global event order this actor keeps polling for, at a real CPU cost.
              journal-sequence-retrieval {"{"}
                query-delay = 1h
                max-backoff-query-delay = 1h
              {"}"}
            {"}"}
            {schema}
            """;
        return ConfigurationFactory.ParseString(text).WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration);
    }

    /// <summary>
    /// What the plugins need beyond configuration text: for SQLite, settings of each connection the journal, snapshot
    /// store and query plugin open. Without a busy timeout a write that meets another connection's write (a journal
    /// deletion beside new events) is retried by Microsoft.Data.Sqlite only after sleeping 150 ms, and every session's
    /// acknowledgements wait behind it; SQLite's own busy handler retries within a few milliseconds.
    /// </summary>
    public Setup? ToAkkaSetup()
    {
        if (Store != StoreKind.Sqlite)
        {
            return null;
        }

        var pragmas = string.Create(
            CultureInfo.InvariantCulture,
            $"PRAGMA busy_timeout = {(long)SqliteBusyTimeout.TotalMilliseconds}; PRAGMA synchronous = {(SqliteSynchronous == SqliteSync.Full ? "FULL" : "NORMAL")};");
        DataOptions Options(string path) => new DataOptions()
            .UseConnectionString(LinqToDB.ProviderName.SQLiteMS, SqliteConnectionString(path))
            .UseAfterConnectionOpened(
                connection => Execute(connection, pragmas),
                (connection, cancellation) => ExecuteAsync(connection, pragmas, cancellation));
        var setup = new MultiDataOptionsSetup();
        setup.AddDataOptions(JournalPath, Options(SqlitePath));
        setup.AddDataOptions(SnapshotPath, Options(SqliteSnapshotPath));
        setup.AddDataOptions(QueryPath, Options(SqlitePath));
        return setup;
    }

    /// <summary>
    /// Snapshots live in a file of their own beside the journal: SQLite lets one connection write to a file at a time,
    /// and the snapshot store holds its write lock while it serializes and inserts a snapshot, which stalled every
    /// session's journal writes (and so every acknowledgement) for up to a few hundred milliseconds.
    /// </summary>
    public string SqliteSnapshotPath => Path.Combine(
        Path.GetDirectoryName(SqlitePath) ?? string.Empty,
        Path.GetFileNameWithoutExtension(SqlitePath) + ".snapshots" + Path.GetExtension(SqlitePath));

    /// <summary>The session index (<see cref="SessionIndexStore"/>) lives in a file of its own beside the journal, for the
    /// same reason as the snapshots.</summary>
    public string SqliteIndexPath => Path.Combine(
        Path.GetDirectoryName(SqlitePath) ?? string.Empty,
        Path.GetFileNameWithoutExtension(SqlitePath) + ".sessions" + Path.GetExtension(SqlitePath));

    private static string SqliteConnectionString(string path) =>
        new SqliteConnectionStringBuilder { DataSource = Path.GetFullPath(path), Pooling = true }.ToString();

    private static void Execute(DbConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static async Task ExecuteAsync(DbConnection connection, string sql, CancellationToken cancellation)
    {
        var command = connection.CreateCommand();
        await using (command.ConfigureAwait(false))
        {
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync(cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A journal file written before snapshots had a file of their own holds them in its <c>snapshot</c> table. They
    /// move once, before the plugins open either file: sessions must recover from them, since the events behind them
    /// are gone. The copy is made under a temporary name and renamed, so a crash leaves either no snapshot file (and the
    /// move runs again) or a complete one.
    /// </summary>
    private void MoveSnapshotsOutOfJournal(string journalConnection)
    {
        var snapshots = Path.GetFullPath(SqliteSnapshotPath);
        if (File.Exists(snapshots) || !File.Exists(Path.GetFullPath(SqlitePath)))
        {
            return;
        }

        using var journal = new SqliteConnection(journalConnection);
        journal.Open();
        if (Scalar(journal, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'snapshot'") is 0L)
        {
            return;
        }

        var copy = snapshots + ".moving";
        File.Delete(copy);
        using (var vacuum = journal.CreateCommand())
        {
            vacuum.CommandText = "VACUUM INTO $path";
            vacuum.Parameters.AddWithValue("$path", copy);
            vacuum.ExecuteNonQuery();
        }

        using (var moved = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = copy, Pooling = false }.ToString()))
        {
            moved.Open();
            var others = new List<string>();
            using (var tables = moved.CreateCommand())
            {
                tables.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'snapshot' AND name NOT LIKE 'sqlite_%'";
                using var reader = tables.ExecuteReader();
                while (reader.Read())
                {
                    others.Add(reader.GetString(0));
                }
            }

            foreach (var table in others)
            {
                Execute(moved, $"DROP TABLE \"{table.Replace("\"", "\"\"", StringComparison.Ordinal)}\"");
            }
        }

        File.Move(copy, snapshots);
        Execute(journal, "DROP TABLE snapshot");
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static void EnableWriteAheadLog(string connectionString)
    {
        using var sqlite = new SqliteConnection(connectionString);
        sqlite.Open();
        using var command = sqlite.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        command.ExecuteNonQuery();
    }

    private static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
