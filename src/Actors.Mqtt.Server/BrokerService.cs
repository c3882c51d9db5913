using System.Data.Common;
using System.Reflection;
using System.Runtime.InteropServices;
using Actors.Mqtt.Broker;
using Actors.Mqtt.Broker.Connections;
using Actors.Mqtt.Broker.Persistence;
using Actors.Mqtt.Broker.Security;
using Akka;
using Akka.Actor;
using Akka.Streams.Dsl;

namespace Actors.Mqtt.Server;

/// <summary>
/// Starts the broker on the host's actor system before the listeners open (the node joins its one-node cluster and
/// the session shard region comes up), and holds it for the connection handler.
/// </summary>
internal sealed partial class BrokerService(
    ActorSystem system,
    BrokerService.Settings settings,
    IHostApplicationLifetime lifetime,
    ILogger<BrokerService> log) : IHostedService, IConnectionFlowFactory, IDisposable
{
    private MqttBroker? broker;
    private PosixSignalRegistration? hangUp;

    /// <summary>Listeners open after the hosted services started, so a connection always finds the broker running.</summary>
    public Flow<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>, NotUsed> Create(Broker.Connections.ConnectionInfo connection) =>
        (broker ?? throw new InvalidOperationException("a connection arrived before the broker started")).Create(connection);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var files = settings.ConfigFiles.Count == 0 ? "(built-in defaults)" : string.Join(", ", settings.ConfigFiles);
        var store = DescribeStore(settings.Broker.Persistence);
        LogStarting(log, Version, files);
        LogStore(log, store);
        broker = await MqttBroker.StartAsync(system, settings.Broker, settings.Security, cancellationToken).ConfigureAwait(false);

        // SIGHUP reads the password and ACL files again, as it does for Mosquitto; it does not stop the process.
        if (!OperatingSystem.IsWindows())
        {
            var started = broker;
            hangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                started.ReloadSecurityFiles();
            });
        }

        // Stopping fires before any hosted service stops, so clients hear why while their sockets are still open.
        lifetime.ApplicationStopping.Register(broker.AnnounceShutdown);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => hangUp?.Dispose();

    /// <summary>The version the build stamped, without the source revision it may append after '+'.</summary>
    private static readonly string Version =
        typeof(BrokerService).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "unknown";

    /// <summary>Where the journal is, never with a connection string's password.</summary>
    private static string DescribeStore(StoreSettings store) => store.Store switch
    {
        StoreKind.Sqlite => $"SQLite {Path.GetFullPath(store.SqlitePath)}",
        StoreKind.PostgreSql => DescribePostgreSql(store),
        _ => "memory (sessions and retained messages do not survive a restart)",
    };

    private static string DescribePostgreSql(StoreSettings store)
    {
        var builder = new DbConnectionStringBuilder();
        try
        {
            builder.ConnectionString = store.PostgreSqlConnectionString;
        }
        catch (ArgumentException)
        {
            return "PostgreSQL";
        }

        string Part(string key) => builder.TryGetValue(key, out var value) ? $"{value}" : "?";
        return $"PostgreSQL host {Part("Host")}, database {Part("Database")}, schema {store.PostgreSqlSchema}";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "actors-mqtt {Version} starting with configuration {ConfigFile}")]
    private static partial void LogStarting(ILogger logger, string version, string configFile);

    [LoggerMessage(Level = LogLevel.Information, Message = "Store: {Store}")]
    private static partial void LogStore(ILogger logger, string store);

    /// <param name="Security">The password and ACL files, loaded and checked before the host started.</param>
    /// <param name="ConfigFiles">The operator's files the configuration was read from, for the start-up log.</param>
    public sealed record Settings(BrokerSettings Broker, SecurityFiles Security, IReadOnlyList<string> ConfigFiles);
}
