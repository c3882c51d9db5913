using System.CommandLine;
using Actors.Mqtt.Broker;
using Actors.Mqtt.Broker.Persistence;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Server.Configuration;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence.Query;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace Actors.Mqtt.Server.Commands;

/// <summary>
/// <c>journal replay --client-id X</c>: a session's journaled events, in order, as JSON lines, read through
/// Akka.Persistence.Query from the store the configuration names (the running broker's, when given its config).
/// </summary>
internal static class JournalCommand
{
    public static Command Create(Option<string?> configOption, Option<string[]> setOption)
    {
        var clientId = new Option<string>("--client-id") { Description = "The client id whose session to show", Required = true };
        var from = new Option<DateTimeOffset?>("--from") { Description = "Only events written at or after this time (ISO 8601)" };
        var to = new Option<DateTimeOffset?>("--to") { Description = "Only events written at or before this time (ISO 8601)" };
        var payloads = new Option<bool>("--payloads") { Description = "Show payloads (base64); by default only their size and SHA-256" };
        var replay = new Command("replay", "Print the journaled events of one session as JSON lines, oldest first")
        {
            clientId,
            from,
            to,
            payloads,
        };
        replay.SetAction(async (parse, cancellation) =>
        {
            try
            {
                var config = ConfigLoader.Load(parse.GetValue(configOption), parse.GetValue(setOption) ?? []);
                return await ReplayAsync(
                    config,
                    parse.GetValue(clientId)!,
                    parse.GetValue(from),
                    parse.GetValue(to),
                    parse.GetValue(payloads),
                    Console.Out,
                    Console.Error,
                    cancellation);
            }
            catch (ConfigException e)
            {
                await Console.Error.WriteLineAsync($"actors-mqtt: {e.Message}");
                return 2;
            }
        });

        return new Command("journal", "Read the broker's journal: the audit trail of sessions") { replay };
    }

    /// <returns>0 with events printed, 1 when the session has no journal.</returns>
    public static async Task<int> ReplayAsync(
        Config config,
        string clientId,
        DateTimeOffset? from,
        DateTimeOffset? to,
        bool payloads,
        TextWriter output,
        TextWriter errors,
        CancellationToken cancellation)
    {
        var settings = BrokerSettings.From(config);
        if (!settings.Persistence.IsDurable)
        {
            await errors.WriteLineAsync("actors-mqtt: actors-mqtt.persistence.store is memory: nothing is journaled");
            return 1;
        }

        // A reader, not a node: no cluster, no remoting, no listeners.
        var readerConfig = ConfigurationFactory.ParseString("""
            akka.actor.provider = local
            akka.loglevel = WARNING
            akka.loggers = ["Akka.Event.DefaultLogger"]
            """);
        using var system = ActorSystem.Create("actors-mqtt-journal", MqttBroker.PrepareSetup(config, readerConfig));
        try
        {
            var journal = PersistenceQuery.Get(system).ReadJournalFor<ICurrentEventsByPersistenceIdQuery>(StoreSettings.QueryPluginId);
            var lines = await journal
                .CurrentEventsByPersistenceId(SessionActor.PersistenceIdPrefix + clientId, 0, long.MaxValue)
                .Select(e => (e.SequenceNr, Time: TimeOf(e.Timestamp), e.Event))
                .Where(e => (from is null || e.Time >= from) && (to is null || e.Time <= to))
                .Select(e => (First: e.SequenceNr, Json: JournalEventJson.Format(e.SequenceNr, e.Time, e.Event, payloads)))
                .RunWith(Sink.Seq<(long First, string Json)>(), system.Materializer())
                .WaitAsync(cancellation);
            var trimmed = settings.Persistence.RetainEvents
                ? string.Empty
                : " (events behind a snapshot are deleted unless actors-mqtt.persistence.audit.retain-events is on)";
            if (lines.Count == 0)
            {
                await errors.WriteLineAsync($"actors-mqtt: no journaled events for client id '{clientId}'" + (from is null && to is null ? string.Empty : " in that time range") + trimmed);
                return 1;
            }

            if (from is null && lines[0].First > 1)
            {
                await errors.WriteLineAsync($"actors-mqtt: the journal of '{clientId}' starts at event {lines[0].First}{trimmed}");
            }

            foreach (var line in lines)
            {
                await output.WriteLineAsync(line.Json);
            }

            return 0;
        }
        finally
        {
            await system.Terminate();
        }
    }

    /// <summary>The journal's write time: .NET ticks (UTC), which is what Akka.Persistence.Sql stores.</summary>
    private static DateTimeOffset? TimeOf(long timestamp) =>
        timestamp > 0 && timestamp < DateTime.MaxValue.Ticks ? new DateTimeOffset(timestamp, TimeSpan.Zero) : null;
}
