using System.Text;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Akka.Actor;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using V = Actors.Mqtt.Protocol.MqttProtocolVersion;

namespace Actors.Mqtt.Integration.Tests.Durability;

/// <summary>
/// Journaled sessions without a connection leave memory after <c>sessions.idle-timeout</c> and live on in the journal
/// and the session index: their subscriptions route, a message for them is queued, their client finds them, and their
/// will and expiry run on time, also across a restart; a start wakes none of them (docs/architecture.md, "Sleeping
/// sessions").
/// </summary>
[Collection(nameof(RunsAlone))]
public sealed class SleepingSessionTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_sleeping_session_keeps_routing_and_its_client_gets_what_was_queued_meanwhile()
    {
        await using var store = new SqliteBroker("actors-mqtt.sessions.idle-timeout=1s");
        var broker = await store.StartAsync();
        var id = NewId();
        var topic = $"sleep/{id}";
        var (subscriber, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V311, id, clean: false));
        await SubscribeAsync(subscriber, topic);
        await DisconnectAsync(subscriber);

        await WaitAsleepAsync(broker, id);
        await using (var publisher = await ConnectPublisherAsync(broker))
        {
            for (var i = 0; i < 3; i++)
            {
                // Acknowledged only once the sleeping session, started again, wrote the message.
                await publisher.SendAsync(new PublishPacket { Topic = topic, Payload = Encoding.UTF8.GetBytes($"m{i}"), QoS = QualityOfService.AtLeastOnce, PacketId = (ushort)(i + 1) });
                Assert.Equal(ReasonCode.Success, (await publisher.ReceiveAsync<PubAckPacket>()).ReasonCode);
            }
        }

        var (resumed, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V311, id, clean: false));
        await using (resumed)
        {
            Assert.True(connAck.SessionPresent);
            Assert.Equal(["m0", "m1", "m2"], await ReceiveAsync(resumed, 3));
        }
    }

    [Fact]
    [Trait("spec", "MQTT-3.1.2-8")]
    [Trait("spec", "MQTT-3.1.2-23")]
    public async Task A_sleeping_session_publishes_its_will_after_its_delay_and_expires_after_its_interval()
    {
        await using var store = new SqliteBroker("actors-mqtt.sessions.idle-timeout=1s");
        var broker = await store.StartAsync();
        var id = NewId();
        var willTopic = $"sleep/will/{id}";
        DateTimeOffset lost;
        var (watcher, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V500, NewId()));
        await using (watcher)
        {
            await SubscribeAsync(watcher, willTopic);
            var connect = Connect(V.V500, id, clean: false, expiry: 16) with { Will = Will(willTopic, delay: 10) };
            var (device, _) = await RawClient.ConnectAsync(broker.EndPoint, connect);
            await device.DisposeAsync();
            lost = DateTimeOffset.UtcNow;

            // Asleep before its will is due: only the session index and its keeper can still publish it.
            await WaitAsleepAsync(broker, id);
            Assert.True(DateTimeOffset.UtcNow - lost < TimeSpan.FromSeconds(10), "the session did not sleep before its will was due");

            var will = await watcher.ReceiveAsync<PublishPacket>(Patience);
            Assert.Equal("gone", Encoding.UTF8.GetString(will.Payload.Span));
            // Not early: the broker saw the connection drop about when the test closed it.
            Assert.True(DateTimeOffset.UtcNow - lost >= TimeSpan.FromSeconds(9), "the will came before its delay");
        }

        // After the will the session sleeps again, and its expiry ends it.
        await WaitAsleepAsync(broker, id);
        var expired = lost + TimeSpan.FromSeconds(17) - DateTimeOffset.UtcNow;
        if (expired > TimeSpan.Zero)
        {
            await Task.Delay(expired);
        }

        var (back, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V500, id, clean: false, expiry: 16));
        await using (back)
        {
            Assert.False(connAck.SessionPresent);
        }
    }

    [Fact]
    [Trait("spec", "MQTT-3.1.2-8")]
    [Trait("spec", "MQTT-3.1.2-23")]
    public async Task A_will_and_an_expiry_that_fell_due_while_the_broker_was_killed_run_at_its_start()
    {
        var folder = Directory.CreateTempSubdirectory("actors-mqtt-sleep-").FullName;
        try
        {
            await using var broker = new BrokerProcess(folder, "actors-mqtt.persistence.store=sqlite", $"actors-mqtt.persistence.sqlite.path={Path.Combine(folder, "broker.db")}");
            await broker.StartAsync();
            var id = NewId();
            var willTopic = $"sleep/killed/{id}";
            var connect = Connect(V.V500, id, clean: false, expiry: 3) with { Will = Will(willTopic, delay: 2) with { Retain = true } };
            var (device, _) = await RawClient.ConnectAsync(broker.EndPoint, connect);
            await device.DisposeAsync();

            // Killed before the will's delay passed; both deadlines pass while the broker is down.
            await WaitDetachedInIndexAsync(Path.Combine(folder, "broker.sessions.db"), id);
            await broker.KillAsync();
            await Task.Delay(TimeSpan.FromSeconds(4));
            await broker.StartAsync();

            var (watcher, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V500, NewId()));
            await using (watcher)
            {
                await watcher.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription(willTopic) { MaximumQoS = QualityOfService.AtLeastOnce }] });
                await watcher.ReceiveAsync<SubAckPacket>();
                var deadline = DateTimeOffset.UtcNow + Patience;
                PublishPacket? will = null;
                while (will is null && DateTimeOffset.UtcNow < deadline)
                {
                    will = await TryReceiveAsync(watcher, TimeSpan.FromSeconds(1));
                }

                Assert.NotNull(will);
                Assert.Equal("gone", Encoding.UTF8.GetString(will.Payload.Span));
            }

            var (back, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V500, id, clean: false, expiry: 3));
            await using (back)
            {
                Assert.False(connAck.SessionPresent);
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Sleeping_sessions_still_count_as_disconnected_clients_in_SYS_and_in_the_metrics()
    {
        var folder = Directory.CreateTempSubdirectory("actors-mqtt-sleep-").FullName;
        try
        {
            var httpPort = BrokerProcess.FreePort();
            await using var broker = new BrokerProcess(
                folder,
                "actors-mqtt.persistence.store=sqlite",
                $"actors-mqtt.persistence.sqlite.path={Path.Combine(folder, "broker.db")}",
                "actors-mqtt.sessions.idle-timeout=1s",
                "actors-mqtt.sys-interval=1s",
                "actors-mqtt.http.host=127.0.0.1",
                $"actors-mqtt.http.port={httpPort}");
            await broker.StartAsync();
            foreach (var device in new[] { NewId(), NewId() })
            {
                var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V311, device, clean: false));
                await SubscribeAsync(client, $"sleep/{device}");
                await DisconnectAsync(client);
            }

            // Out of every node's memory (offline 0), and counted from the session index.
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}") };
            var deadline = DateTimeOffset.UtcNow + Patience;
            Scrape scrape;
            do
            {
                await Task.Delay(200);
                scrape = Scrape.Parse(await http.GetStringAsync("/metrics"));
            }
            while ((scrape.Of("actors_mqtt_sessions_offline") != 0 || scrape.Of("actors_mqtt_sessions_offline_cluster") != 2) && DateTimeOffset.UtcNow < deadline);
            Assert.Equal((0d, 2d), (scrape.Of("actors_mqtt_sessions_offline"), scrape.Of("actors_mqtt_sessions_offline_cluster")));

            var (watcher, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V311, NewId()));
            await using (watcher)
            {
                await watcher.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription("$SYS/broker/clients/disconnected")] });
                await watcher.ReceiveAsync<SubAckPacket>();
                string? disconnected = null;
                while (disconnected != "2" && DateTimeOffset.UtcNow < deadline + Patience)
                {
                    if (await TryReceiveAsync(watcher, TimeSpan.FromSeconds(3)) is { } publish)
                    {
                        disconnected = Encoding.UTF8.GetString(publish.Payload.Span);
                    }
                }

                Assert.Equal("2", disconnected);
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_start_wakes_none_of_thousands_of_journaled_sessions_and_each_still_receives()
    {
        const int Sessions = 2000;
        await using var store = new SqliteBroker();
        var broker = await store.StartAsync();
        var prefix = NewId();
        await Parallel.ForEachAsync(Enumerable.Range(0, Sessions), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            var (device, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V311, $"{prefix}-{i}", clean: false));
            await SubscribeAsync(device, $"fleet/{prefix}/{i}/cmd");
            await DisconnectAsync(device);
        });

        broker = await store.RestartAsync();
        Assert.Equal(0, await CountAwakeSessionsAsync(broker, prefix));

        var chosen = new[] { 0, 777, Sessions - 1 };
        await using (var publisher = await ConnectPublisherAsync(broker))
        {
            foreach (var i in chosen)
            {
                await publisher.SendAsync(new PublishPacket { Topic = $"fleet/{prefix}/{i}/cmd", Payload = Encoding.UTF8.GetBytes($"cmd-{i}"), QoS = QualityOfService.AtLeastOnce, PacketId = (ushort)(i + 1) });
                Assert.Equal(ReasonCode.Success, (await publisher.ReceiveAsync<PubAckPacket>()).ReasonCode);
            }
        }

        Assert.Equal(chosen.Length, await CountAwakeSessionsAsync(broker, prefix));
        foreach (var i in chosen)
        {
            var (device, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V311, $"{prefix}-{i}", clean: false));
            await using (device)
            {
                Assert.True(connAck.SessionPresent);
                Assert.Equal([$"cmd-{i}"], await ReceiveAsync(device, 1));
            }
        }
    }

    /// <summary>Waits until the session actor of <paramref name="clientId"/> stopped: the session sleeps.</summary>
    private static async Task WaitAsleepAsync(BrokerFixture broker, string clientId)
    {
        var system = broker.Services.GetRequiredService<ActorSystem>();
        var shard = new SessionMessageExtractor(100).ShardId(clientId, null);
        var path = $"/system/sharding/session/{shard}/{Uri.EscapeDataString(clientId)}";
        var deadline = DateTimeOffset.UtcNow + Patience;
        while (DateTimeOffset.UtcNow < deadline)
        {
            var identity = await system.ActorSelection(path).Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(3));
            if (identity.Subject is null)
            {
                return;
            }

            await Task.Delay(200);
        }

        Assert.Fail($"session {clientId} still awake after {Patience.TotalSeconds} s");
    }

    /// <summary>How many session actors of client ids starting with <paramref name="prefix"/> run: every session answers
    /// an Identify sent to all of them.</summary>
    private static async Task<int> CountAwakeSessionsAsync(BrokerFixture broker, string prefix)
    {
        var system = broker.Services.GetRequiredService<ActorSystem>();
        var counter = system.ActorOf(Props.Create(() => new IdentityCounter(prefix)));
        system.ActorSelection("/system/sharding/session/*/*").Tell(new Identify(null), counter);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var count = await counter.Ask<int>("count", TimeSpan.FromSeconds(3));
        system.Stop(counter);
        return count;
    }

    /// <summary>Waits until the session index holds the session as detached: its deadlines are then known, so a kill
    /// does not take them along.</summary>
    private static async Task WaitDetachedInIndexAsync(string indexFile, string clientId)
    {
        var deadline = DateTimeOffset.UtcNow + Patience;
        while (DateTimeOffset.UtcNow < deadline)
        {
            await using (var index = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = indexFile, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString()))
            {
                await index.OpenAsync();
                await using var query = index.CreateCommand();
                query.CommandText = "SELECT COUNT(*) FROM session_index WHERE client_id = $id AND detached_at IS NOT NULL";
                query.Parameters.AddWithValue("$id", clientId);
                if ((long)(await query.ExecuteScalarAsync())! == 1)
                {
                    return;
                }
            }

            await Task.Delay(100);
        }

        Assert.Fail($"the session index never held {clientId} as detached");
    }

    private static async Task<PublishPacket?> TryReceiveAsync(RawClient client, TimeSpan wait)
    {
        try
        {
            return await client.ReceiveAsync<PublishPacket>(wait);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    private static MqttWill Will(string topic, uint delay) => new(topic, "gone"u8.ToArray())
    {
        QoS = QualityOfService.AtLeastOnce,
        Properties = new MqttProperties { WillDelayInterval = delay },
    };

    private static async Task<RawClient> ConnectPublisherAsync(BrokerFixture broker)
    {
        var (publisher, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V311, NewId()));
        Assert.Equal(ReasonCode.Success, connAck.ReasonCode);
        return publisher;
    }

    private static async Task<List<string>> ReceiveAsync(RawClient client, int count)
    {
        var payloads = new List<string>();
        while (payloads.Count < count)
        {
            var publish = await client.ReceiveAsync<PublishPacket>();
            payloads.Add(Encoding.UTF8.GetString(publish.Payload.Span));
            await client.SendAsync(new PubAckPacket { PacketId = publish.PacketId });
        }

        return payloads;
    }

    private static string NewId() => "s-" + Guid.NewGuid().ToString("N")[..16];

    private static ConnectPacket Connect(V version, string clientId, bool clean = true, uint? expiry = null) => new()
    {
        ProtocolVersion = version,
        ClientId = clientId,
        CleanSession = clean,
        Properties = version == V.V500 && expiry is { } e ? new MqttProperties { SessionExpiryInterval = e } : null,
    };

    private static async Task SubscribeAsync(RawClient client, string filter)
    {
        await client.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription(filter) { MaximumQoS = QualityOfService.AtLeastOnce }] });
        Assert.Equal([ReasonCode.GrantedQoS1], (await client.ReceiveAsync<SubAckPacket>()).ReasonCodes);
    }

    private static async Task DisconnectAsync(RawClient client)
    {
        await using (client)
        {
            await client.SendAsync(new DisconnectPacket());
            Assert.Empty(await client.ExpectClosedAsync());
        }
    }

    private sealed class IdentityCounter : ReceiveActor
    {
        private int count;

        public IdentityCounter(string prefix)
        {
            Receive<ActorIdentity>(identity => count += identity.Subject?.Path.Name.StartsWith(prefix, StringComparison.Ordinal) == true ? 1 : 0);
            Receive<string>(_ => Sender.Tell(count));
        }
    }
}
