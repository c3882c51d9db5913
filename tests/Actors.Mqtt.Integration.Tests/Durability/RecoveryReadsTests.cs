using Actors.Mqtt.Broker;
using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Server.Configuration;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Microsoft.Data.Sqlite;

namespace Actors.Mqtt.Integration.Tests.Durability;

/// <summary>
/// A recovery reads through <c>SessionJournal</c> and <c>SessionSnapshotStore</c> exactly what Akka.Persistence.Sql's
/// own reads give on the same tables (docs/architecture.md, "Recovery reads"): the latest snapshot, the events after it
/// that were not deleted, and the highest sequence number, deleted events included. Each store is written once, then
/// read back by an actor system with the broker's plugins and by one with the plugin's own classes.
/// </summary>
public sealed class RecoveryReadsTests : IAsyncLifetime
{
    private readonly PostgresServer postgres = new();
    private readonly string folder = Directory.CreateTempSubdirectory("actors-mqtt-reads-").FullName;

    public Task InitializeAsync() => postgres.InitializeAsync();

    public async Task DisposeAsync()
    {
        await postgres.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Recovery_reads_give_what_the_plugin_reads_give(string store)
    {
        string[] overrides = store == "sqlite"
            ? ["actors-mqtt.persistence.store=sqlite", $"actors-mqtt.persistence.sqlite.path={Path.Combine(folder, "reads.db")}"]
            : ["actors-mqtt.persistence.store=postgresql", $"actors-mqtt.persistence.postgresql.connection-string={await postgres.CreateDatabaseAsync()}"];
        var config = ConfigLoader.Load(configFile: null, ["actors-mqtt.log.level=warning", .. overrides], AppContext.BaseDirectory, AppContext.BaseDirectory);

        // Ten events; a snapshot at the fifth; the first seven deleted, the snapshot's events and two after it. A second
        // actor with no snapshot and all its events deleted: its highest sequence number outlives them.
        await using (var writer = await SystemAsync(config, pluginsOwnClasses: false))
        {
            await writer.RunAsync("with-snapshot", Recorder.Script.Write);
            await writer.RunAsync("all-deleted", Recorder.Script.WriteAndDeleteAll);
        }

        Recorder.Recovered ours, theirs;
        await using (var broker = await SystemAsync(config, pluginsOwnClasses: false))
        {
            ours = await broker.RunAsync("with-snapshot", Recorder.Script.Read);
            Assert.Equal(new Recorder.Recovered(5, "e1..e5", ["e8", "e9", "e10"], 10), ours);
            Assert.Equal(new Recorder.Recovered(null, null, [], 4), await broker.RunAsync("all-deleted", Recorder.Script.Read));
        }

        await using (var plugin = await SystemAsync(config, pluginsOwnClasses: true))
        {
            theirs = await plugin.RunAsync("with-snapshot", Recorder.Script.Read);
            Assert.Equal(new Recorder.Recovered(null, null, [], 4), await plugin.RunAsync("all-deleted", Recorder.Script.Read));
        }

        Assert.Equal(theirs, ours);
    }

    private static Task<TestSystem> SystemAsync(Config config, bool pluginsOwnClasses)
    {
        var front = pluginsOwnClasses
            ? ConfigurationFactory.ParseString("""
                akka.persistence.journal.sql.class = "Akka.Persistence.Sql.Journal.SqlWriteJournal, Akka.Persistence.Sql"
                akka.persistence.snapshot-store.sql.class = "Akka.Persistence.Sql.Snapshot.SqlSnapshotStore, Akka.Persistence.Sql"
                akka.actor.provider = local
                """)
            : ConfigurationFactory.ParseString("akka.actor.provider = local");
        return Task.FromResult(new TestSystem(ActorSystem.Create("reads", MqttBroker.PrepareSetup(config, front))));
    }

    private sealed class TestSystem(ActorSystem system) : IAsyncDisposable
    {
        public async Task<Recorder.Recovered> RunAsync(string persistenceId, Recorder.Script script)
        {
            var done = new TaskCompletionSource<Recorder.Recovered>(TaskCreationOptions.RunContinuationsAsynchronously);
            system.ActorOf(Props.Create(() => new Recorder(persistenceId, script, done)));
            return await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }

        public async ValueTask DisposeAsync() => await system.Terminate();
    }

    /// <summary>Writes a script of events, snapshots and deletions, or reports what its recovery offered.</summary>
    private sealed class Recorder : ReceivePersistentActor
    {
        private readonly Script script;
        private readonly TaskCompletionSource<Recovered> done;
        private readonly List<string> replayed = [];
        private (long SequenceNr, string State)? snapshot;

        public Recorder(string persistenceId, Script script, TaskCompletionSource<Recovered> done)
        {
            PersistenceId = persistenceId;
            this.script = script;
            this.done = done;
            Recover<SnapshotOffer>(offer => snapshot = (offer.Metadata.SequenceNr, (string)offer.Snapshot));
            Recover<string>(replayed.Add);
            Recover<RecoveryCompleted>(_ => Start());
            Command<SaveSnapshotSuccess>(_ => DeleteMessages(7));
            Command<DeleteMessagesSuccess>(_ => Finish());
            Command<SaveSnapshotFailure>(f => done.TrySetException(f.Cause));
            Command<DeleteMessagesFailure>(f => done.TrySetException(f.Cause));
        }

        public enum Script
        {
            Write,
            WriteAndDeleteAll,
            Read,
        }

        public override string PersistenceId { get; }

        private void Start()
        {
            switch (script)
            {
                case Script.Read:
                    Finish();
                    break;
                case Script.WriteAndDeleteAll:
                    PersistAll(["a1", "a2", "a3", "a4"], _ => { });
                    DeferAsync("deleted", _ => DeleteMessages(4));
                    break;
                default:
                    PersistAll(["e1", "e2", "e3", "e4", "e5"], _ => { });
                    DeferAsync("snapshot", _ => SaveSnapshot("e1..e5"));
                    PersistAll(["e6", "e7", "e8", "e9", "e10"], _ => { });
                    break;
            }
        }

        protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr) => done.TrySetException(cause);

        protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr) => done.TrySetException(cause);

        protected override void OnRecoveryFailure(Exception reason, object? message = null) => done.TrySetException(reason);

        private void Finish()
        {
            done.TrySetResult(new Recovered(snapshot?.SequenceNr, snapshot?.State, [.. replayed], LastSequenceNr));
            Context.Stop(Self);
        }

        public sealed record Recovered(long? SnapshotSequenceNr, string? Snapshot, string[] Events, long HighestSequenceNr)
        {
            public bool Equals(Recovered? other) =>
                other is not null && (SnapshotSequenceNr, Snapshot, HighestSequenceNr) == (other.SnapshotSequenceNr, other.Snapshot, other.HighestSequenceNr) && Events.SequenceEqual(other.Events);

            public override int GetHashCode() => HashCode.Combine(SnapshotSequenceNr, Snapshot, HighestSequenceNr);
        }
    }
}
