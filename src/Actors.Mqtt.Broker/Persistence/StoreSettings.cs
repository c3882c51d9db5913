using System.Globalization;
using Akka.Configuration;
using Microsoft.Data.Sqlite;

namespace Actors.Mqtt.Broker.Persistence;

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
                var other => throw new ConfigurationException(
                    $"actors-mqtt.persistence.store is '{other}'; expected sqlite, postgresql or memory"),
            },
            SqlitePath = c.GetString("sqlite.path"),
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
        string mapping;
        if (Store == StoreKind.Sqlite)
        {
            var path = Path.GetFullPath(SqlitePath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            connection = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();
            EnableWriteAheadLog(connection);
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
              connection-string = {Quote(connection)}
              provider-name = "{provider}"
              table-mapping = {mapping}
              auto-initialize = true
            {"}"}
            {SnapshotPath} {"{"}
              connection-string = {Quote(connection)}
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
