using System.Diagnostics.Metrics;
using System.Globalization;
using Actors.Mqtt.Broker;
using Actors.Mqtt.Integration.Tests.Support;
using Microsoft.Data.Sqlite;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Actors.Mqtt.Integration.Tests.Bridges;

/// <summary>A bridge of the broker under test to a real Mosquitto that the test starts on a free loopback port.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class BridgeTests : IAsyncLifetime
{
    private readonly string folder = Directory.CreateTempSubdirectory("bridge-").FullName;
    private readonly string remoteClientId = "bridge-" + Guid.NewGuid().ToString("N")[..8];
    private MosquittoServer mosquitto = null!;
    private BrokerFixture? broker;

    public async Task InitializeAsync() => mosquitto = await MosquittoServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (broker is not null)
        {
            await broker.DisposeAsync();
        }

        await mosquitto.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task Out_a_message_published_here_arrives_at_a_Mosquitto_subscriber_under_the_remote_prefix_with_its_QoS_up_to_the_maximum()
    {
        await using var remote = await TestClient.ConnectAsync(MqttProtocolVersion.V500, o => o.WithTcpServer("127.0.0.1", mosquitto.Port));
        await remote.SubscribeAsync("site-1/sensors/#", MqttQualityOfServiceLevel.ExactlyOnce);
        await StartBrokerAsync("mqttv5", """{ pattern = "sensors/#", direction = out, qos = 1, remote-prefix = "site-1/" }""");
        await mosquitto.WaitForLogAsync("as " + remoteClientId);

        await using var local = await TestClient.ConnectAsync(broker!, MqttProtocolVersion.V500);
        await local.PublishAsync("sensors/t1", "one", MqttQualityOfServiceLevel.AtLeastOnce);
        await local.PublishAsync("sensors/t2", "two", MqttQualityOfServiceLevel.ExactlyOnce);
        await local.PublishAsync("sensors/t3", "three", MqttQualityOfServiceLevel.AtMostOnce);
        await local.PublishAsync("other/t4", "not bridged", MqttQualityOfServiceLevel.AtLeastOnce);

        var one = await remote.NextAsync();
        Assert.Equal(("site-1/sensors/t1", "one", MqttQualityOfServiceLevel.AtLeastOnce), (one.Topic, TestClient.Text(one), one.QualityOfServiceLevel));

        // QoS 2 crosses as QoS 1, the bridge topic's maximum.
        var two = await remote.NextAsync();
        Assert.Equal(("site-1/sensors/t2", "two", MqttQualityOfServiceLevel.AtLeastOnce), (two.Topic, TestClient.Text(two), two.QualityOfServiceLevel));
        var three = await remote.NextAsync();
        Assert.Equal(("site-1/sensors/t3", "three", MqttQualityOfServiceLevel.AtMostOnce), (three.Topic, TestClient.Text(three), three.QualityOfServiceLevel));
        await remote.ExpectNothingAsync();
    }

    [Fact]
    public async Task In_a_message_published_to_Mosquitto_arrives_at_a_subscriber_here_under_the_local_prefix_with_its_QoS()
    {
        await StartBrokerAsync("mqttv5", """{ pattern = "cmd/#", direction = in, qos = 2, local-prefix = "remote/" }""");
        await using var local = await TestClient.ConnectAsync(broker!, MqttProtocolVersion.V500);
        await local.SubscribeAsync("#", MqttQualityOfServiceLevel.ExactlyOnce);
        await mosquitto.WaitForLogAsync("Sending SUBACK to " + remoteClientId);

        await using var remote = await TestClient.ConnectAsync(MqttProtocolVersion.V500, o => o.WithTcpServer("127.0.0.1", mosquitto.Port));
        await remote.PublishAsync("cmd/a", "two", MqttQualityOfServiceLevel.ExactlyOnce);
        await remote.PublishAsync("cmd/b", "one", MqttQualityOfServiceLevel.AtLeastOnce);
        await remote.PublishAsync("elsewhere", "not bridged", MqttQualityOfServiceLevel.AtLeastOnce);

        var two = await local.NextAsync();
        Assert.Equal(("remote/cmd/a", "two", MqttQualityOfServiceLevel.ExactlyOnce), (two.Topic, TestClient.Text(two), two.QualityOfServiceLevel));
        var one = await local.NextAsync();
        Assert.Equal(("remote/cmd/b", "one", MqttQualityOfServiceLevel.AtLeastOnce), (one.Topic, TestClient.Text(one), one.QualityOfServiceLevel));
        await local.ExpectNothingAsync();
    }

    [Fact]
    public async Task In_the_remote_brokers_SYS_topics_never_become_this_brokers_own()
    {
        await StartBrokerAsync("mqttv5", ["actors-mqtt.sys-interval=0s"], """{ pattern = "$SYS/broker/uptime", direction = in }""");
        await using var local = await TestClient.ConnectAsync(broker!, MqttProtocolVersion.V500);
        await local.SubscribeAsync("$SYS/#");
        var logged = mosquitto.Log.Length;
        await mosquitto.WaitForLogAsync("Sending PUBLISH to " + remoteClientId, logged);

        await local.ExpectNothingAsync(TimeSpan.FromSeconds(1));
    }

    [Theory]
    [InlineData("mqttv5")]
    [InlineData("mqttv311")]
    public async Task Both_directions_a_message_crosses_once_and_never_comes_back(string protocol)
    {
        await StartBrokerAsync(protocol, """{ pattern = "both/#", direction = both, qos = 1 }""");
        await using var local = await TestClient.ConnectAsync(broker!, MqttProtocolVersion.V500);
        await local.SubscribeAsync("both/#", MqttQualityOfServiceLevel.AtLeastOnce);
        await using var remote = await TestClient.ConnectAsync(MqttProtocolVersion.V500, o => o.WithTcpServer("127.0.0.1", mosquitto.Port));
        await remote.SubscribeAsync("both/#", MqttQualityOfServiceLevel.AtLeastOnce);
        await mosquitto.WaitForLogAsync("Sending SUBACK to " + remoteClientId);

        // Published here: once to each side; a copy echoed by Mosquitto would reach the local subscriber a second time.
        await local.PublishAsync("both/here", "from here", MqttQualityOfServiceLevel.AtLeastOnce);
        Assert.Equal("from here", TestClient.Text(await local.NextAsync()));
        Assert.Equal("from here", TestClient.Text(await remote.NextAsync()));

        // Published there: once to each side; a copy sent back out would reach the Mosquitto subscriber a second time.
        await remote.PublishAsync("both/there", "from there", MqttQualityOfServiceLevel.AtLeastOnce);
        Assert.Equal("from there", TestClient.Text(await remote.NextAsync()));
        Assert.Equal("from there", TestClient.Text(await local.NextAsync()));

        await local.ExpectNothingAsync(TimeSpan.FromSeconds(1));
        await remote.ExpectNothingAsync(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task In_a_QoS_1_message_is_acknowledged_to_Mosquitto_only_once_a_durable_subscriber_here_wrote_it()
    {
        var database = Path.Combine(folder, "broker.db");
        await StartBrokerAsync(
            "mqttv5",
            ["actors-mqtt.persistence.store=sqlite", $"actors-mqtt.persistence.sqlite.path={database}"],
            """{ pattern = "cmd/#", direction = in, qos = 1 }""");
        await using (var durable = await TestClient.ConnectAsync(broker!, MqttProtocolVersion.V311, "durable", o => o.WithCleanSession(false)))
        {
            await durable.SubscribeAsync("cmd/#", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        await mosquitto.WaitForLogAsync("Sending SUBACK to " + remoteClientId);
        await using var remote = await TestClient.ConnectAsync(MqttProtocolVersion.V500, o => o.WithTcpServer("127.0.0.1", mosquitto.Port));
        var logged = mosquitto.Log.Length;

        // While the test holds the journal's write lock, the offline subscriber's session cannot write the message.
        await using (var journal = new SqliteConnection($"Data Source={database};Pooling=False"))
        {
            await journal.OpenAsync();
            await using (var exclusive = journal.CreateCommand())
            {
                exclusive.CommandText = "BEGIN EXCLUSIVE";
                await exclusive.ExecuteNonQueryAsync();
            }

            await remote.PublishAsync("cmd/stop", "m", MqttQualityOfServiceLevel.AtLeastOnce);
            await mosquitto.WaitForLogAsync("Sending PUBLISH to " + remoteClientId, logged);
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.DoesNotContain("Received PUBACK from " + remoteClientId, mosquitto.Log[logged..], StringComparison.Ordinal);

            await using var rollback = journal.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            await rollback.ExecuteNonQueryAsync();
        }

        await mosquitto.WaitForLogAsync("Received PUBACK from " + remoteClientId, logged);
        await using var back = await TestClient.ConnectAsync(broker!, MqttProtocolVersion.V311, "durable", o => o.WithCleanSession(false));
        Assert.Equal("cmd/stop", (await back.NextAsync()).Topic);
    }

    [Fact]
    public async Task Out_QoS_1_messages_published_while_Mosquitto_is_away_all_arrive_after_it_is_back()
    {
        await StartBrokerAsync("mqttv311", """{ pattern = "data/#", direction = out, qos = 1 }""");
        await mosquitto.WaitForLogAsync("as " + remoteClientId);
        var seen = new SeenNumbers();
        var remote = await seen.SubscribeAsync(mosquitto);
        await using var local = await TestClient.ConnectAsync(broker!, MqttProtocolVersion.V311);
        await PublishAsync(local, 1, 50);

        // What Mosquitto acknowledged to the bridge it keeps for the subscriber's persistent session, and saves as it
        // stops; what comes meanwhile waits in the bridge's session.
        await mosquitto.StopAsync();
        await remote.DisposeAsync();
        await PublishAsync(local, 51, 150);
        var logged = mosquitto.Log.Length;
        await mosquitto.StartAgainAsync();
        await mosquitto.WaitForLogAsync("as " + remoteClientId, logged);
        await using (await seen.SubscribeAsync(mosquitto))
        {
            await PublishAsync(local, 151, 200);
            await seen.WaitForAsync(200, mosquitto);
        }
    }

    [Fact]
    public async Task The_bridge_counts_as_connected_while_its_remote_is_there()
    {
        // Its own name: bridges of other test classes in this process report under theirs.
        var name = "gauge" + Guid.NewGuid().ToString("N")[..8];
        using var gauge = new BridgeGauge(name);
        var config = Path.Combine(folder, "gauge.conf");
        await File.WriteAllTextAsync(config, NamedBridgeConfig(name, "mqttv311", """{ pattern = "data/#", direction = out, qos = 1 }"""));
        broker = new BrokerFixture { ConfigFile = config };
        await broker.InitializeAsync();

        await gauge.WaitForAsync(1);
        await mosquitto.StopAsync();
        await gauge.WaitForAsync(0);
        await mosquitto.StartAgainAsync();
        await gauge.WaitForAsync(1);
    }

    [Fact]
    public async Task The_bridge_counts_the_messages_that_crossed_it_each_way()
    {
        var name = "count" + Guid.NewGuid().ToString("N")[..8];
        using var sent = new BridgeGauge(name, "actors_mqtt.bridge.messages", "out");
        using var received = new BridgeGauge(name, "actors_mqtt.bridge.messages", "in");
        var config = Path.Combine(folder, "count.conf");
        await File.WriteAllTextAsync(config, NamedBridgeConfig(name, "mqttv5", """{ pattern = "out/#", direction = out, qos = 1 }""", """{ pattern = "in/#", direction = in, qos = 1 }"""));
        broker = new BrokerFixture { ConfigFile = config };
        await broker.InitializeAsync();
        await using var local = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
        await local.SubscribeAsync("in/#", MqttQualityOfServiceLevel.AtLeastOnce);
        await using var remote = await TestClient.ConnectAsync(MqttProtocolVersion.V500, o => o.WithTcpServer("127.0.0.1", mosquitto.Port));
        await remote.SubscribeAsync("out/#", MqttQualityOfServiceLevel.AtLeastOnce);
        await mosquitto.WaitForLogAsync("Sending SUBACK to " + remoteClientId);

        for (var i = 0; i < 3; i++)
        {
            await local.PublishAsync("out/" + i.ToString(CultureInfo.InvariantCulture), "m", MqttQualityOfServiceLevel.AtLeastOnce);
            await remote.NextAsync();
        }

        for (var i = 0; i < 2; i++)
        {
            await remote.PublishAsync("in/" + i.ToString(CultureInfo.InvariantCulture), "m", MqttQualityOfServiceLevel.AtLeastOnce);
            await local.NextAsync();
        }

        await sent.WaitForAsync(3);
        await received.WaitForAsync(2);
    }

    [Fact]
    public async Task Out_a_bridge_whose_remote_is_not_there_at_start_keeps_what_is_published_for_it_until_it_comes()
    {
        var seen = new SeenNumbers();
        await (await seen.SubscribeAsync(mosquitto)).DisposeAsync();
        await mosquitto.StopAsync();

        // The broker starts and serves its clients with the bridge's remote away; the bridge's session already holds
        // the out subscription, so what is published for the remote waits in its journal.
        await StartBrokerAsync("mqttv311", """{ pattern = "data/#", direction = out, qos = 1 }""");
        await using (var local = await TestClient.ConnectAsync(broker!, MqttProtocolVersion.V311))
        {
            await PublishAsync(local, 1, 20);
        }

        await mosquitto.StartAgainAsync();
        await using (await seen.SubscribeAsync(mosquitto))
        {
            await seen.WaitForAsync(20, mosquitto);
        }
    }

    [Fact]
    public async Task Out_a_bridge_keeps_at_most_its_own_max_queued_messages_while_its_remote_is_away_and_drops_the_newest()
    {
        var seen = new SeenNumbers();
        await (await seen.SubscribeAsync(mosquitto)).DisposeAsync();
        await mosquitto.StopAsync();
        await StartBrokerAsync("mqttv311", ["actors-mqtt.bridges.mosquitto.max-queued-messages=30"], """{ pattern = "data/#", direction = out, qos = 1 }""");
        await using var local = await TestClient.ConnectAsync(broker!, MqttProtocolVersion.V311);
        await PublishAsync(local, 1, 50);

        await mosquitto.StartAgainAsync();
        await using (await seen.SubscribeAsync(mosquitto))
        {
            await seen.WaitForAsync(30, mosquitto);

            // Messages cross in order: once 51 arrived, none of those dropped before it can still be on its way.
            await PublishAsync(local, 51, 51);
            await seen.WaitForAsync([.. Enumerable.Range(1, 30), 51], mosquitto);
        }

        Assert.Equal([.. Enumerable.Range(1, 30), 51], seen.Numbers());
    }

    [Fact]
    public async Task Out_QoS_1_messages_in_flight_when_Mosquitto_dies_go_again_when_it_is_back()
    {
        await StartBrokerAsync("mqttv311", """{ pattern = "data/#", direction = out, qos = 1 }""");
        await mosquitto.WaitForLogAsync("as " + remoteClientId);
        var seen = new SeenNumbers();
        var logged = mosquitto.Log.Length;
        var remote = await seen.SubscribeAsync(mosquitto);

        // The subscriber's session is on Mosquitto's disk, so that it is there after the kill.
        await mosquitto.WaitForLogAsync("Saving in-memory database", logged);
        await using var local = await TestClient.ConnectAsync(broker!, MqttProtocolVersion.V311);
        await PublishAsync(local, 1, 50);
        await seen.WaitForAsync(50, mosquitto);

        // Frozen, Mosquitto takes the bridge's next messages into its socket and acknowledges none; killed, it never
        // had them. The bridge's session holds them in flight, and sends them again when Mosquitto is back.
        await mosquitto.FreezeAsync();
        await PublishAsync(local, 51, 100);
        await mosquitto.KillAsync();
        await remote.DisposeAsync();
        await PublishAsync(local, 101, 150);
        logged = mosquitto.Log.Length;
        await mosquitto.StartAgainAsync();
        await mosquitto.WaitForLogAsync("as " + remoteClientId, logged);
        await using (await seen.SubscribeAsync(mosquitto))
        {
            await seen.WaitForAsync(150, mosquitto);
        }
    }

    [Fact]
    public async Task Out_QoS_1_messages_waiting_for_Mosquitto_when_the_broker_is_killed_arrive_after_both_are_back()
    {
        Directory.CreateDirectory(Path.Combine(folder, "hocon"));
        await File.WriteAllTextAsync(Path.Combine(folder, "hocon", "broker.conf"), BridgeConfig("mqttv311", """{ pattern = "data/#", direction = out, qos = 1 }"""));
        await using var process = new BrokerProcess(folder, "actors-mqtt.persistence.store=sqlite", $"actors-mqtt.persistence.sqlite.path={Path.Combine(folder, "broker.db")}");
        await process.StartAsync();
        await mosquitto.WaitForLogAsync("as " + remoteClientId);
        var seen = new SeenNumbers();
        await (await seen.SubscribeAsync(mosquitto)).DisposeAsync();

        // Mosquitto away, the messages wait in the bridge's session, journaled before each PUBACK; then kill -9.
        await mosquitto.StopAsync();
        await using (var local = await TestClient.ConnectAsync(MqttProtocolVersion.V311, o => o.WithTcpServer("127.0.0.1", process.EndPoint.Port)))
        {
            await PublishAsync(local, 1, 100);
        }

        await process.KillAsync();
        await mosquitto.StartAgainAsync();
        await process.StartAsync(samePort: true);
        await using (await seen.SubscribeAsync(mosquitto))
        {
            await seen.WaitForAsync(100, mosquitto);
        }
    }

    [Fact]
    public async Task A_client_may_not_take_a_bridge_session()
    {
        await StartBrokerAsync("mqttv5", """{ pattern = "a/#" }""");

        await using var intruder = await TestClient.ConnectAsync(broker!, MqttProtocolVersion.V500, "$bridge/mosquitto");
        Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, intruder.ConnectResult.ResultCode);
    }

    private static async Task PublishAsync(TestClient client, int first, int last)
    {
        for (var i = first; i <= last; i++)
        {
            await client.PublishAsync("data/" + i.ToString(CultureInfo.InvariantCulture), "m", MqttQualityOfServiceLevel.AtLeastOnce);
        }
    }

    private Task StartBrokerAsync(string protocol, params string[] topics) => StartBrokerAsync(protocol, [], topics);

    private async Task StartBrokerAsync(string protocol, string[] overrides, params string[] topics)
    {
        var config = Path.Combine(folder, "broker.conf");
        await File.WriteAllTextAsync(config, BridgeConfig(protocol, topics));
        broker = new BrokerFixture { ConfigFile = config, Overrides = overrides };
        await broker.InitializeAsync();
    }

    private string BridgeConfig(string protocol, params string[] topics) => NamedBridgeConfig("mosquitto", protocol, topics);

    private string NamedBridgeConfig(string name, string protocol, params string[] topics) => $$"""
        actors-mqtt.bridges.{{name}} {
          address = "127.0.0.1:{{mosquitto.Port}}"
          protocol = {{protocol}}
          client-id = "{{remoteClientId}}"
          restart-timeout-base = 100ms
          restart-timeout-cap = 1s
          topics = [ {{string.Join(", ", topics)}} ]
        }
        """;

    /// <summary>The numbers of the messages data/N a persistent subscriber on Mosquitto received, over its reconnects.</summary>
    private sealed class SeenNumbers
    {
        private const string ClientId = "bridge-test-subscriber";
        private readonly HashSet<int> seen = [];

        public async Task<TestClient> SubscribeAsync(MosquittoServer server)
        {
            var client = await TestClient.ConnectAsync(MqttProtocolVersion.V311, o => o.WithTcpServer("127.0.0.1", server.Port).WithCleanSession(false), ClientId);
            client.Client.ApplicationMessageReceivedAsync += e =>
            {
                lock (seen)
                {
                    seen.Add(int.Parse(e.ApplicationMessage.Topic["data/".Length..], CultureInfo.InvariantCulture));
                }

                return Task.CompletedTask;
            };
            await client.SubscribeAsync("data/#", MqttQualityOfServiceLevel.AtLeastOnce);
            return client;
        }

        /// <summary>Waits until every number from 1 to <paramref name="total"/> arrived, at least once; fails naming the
        /// missing ones after a minute without them.</summary>
        public Task WaitForAsync(int total, MosquittoServer server) => WaitForAsync([.. Enumerable.Range(1, total)], server);

        /// <summary>The numbers received, each once, in order.</summary>
        public List<int> Numbers()
        {
            lock (seen)
            {
                return [.. seen.Order()];
            }
        }

        /// <summary>Waits until every number of <paramref name="expected"/> arrived, at least once; fails naming the
        /// missing ones after a minute without them.</summary>
        public async Task WaitForAsync(IReadOnlyList<int> expected, MosquittoServer server)
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            List<int> missing;
            while ((missing = Missing(expected)).Count > 0 && !deadline.IsCancellationRequested)
            {
                await Task.Delay(50);
            }

            Assert.True(missing.Count == 0, $"{missing.Count} messages never arrived, the first {string.Join(", ", missing.Take(10))}; mosquitto: {server.Log[^Math.Min(3000, server.Log.Length)..]}");
        }

        private List<int> Missing(IReadOnlyList<int> expected)
        {
            lock (seen)
            {
                return [.. expected.Where(n => !seen.Contains(n))];
            }
        }
    }

    /// <summary>The value of one of the bridge metrics for one bridge (and direction), as the metrics exporter sums it.</summary>
    private sealed class BridgeGauge : IDisposable
    {
        private readonly MeterListener listener = new();
        private long value;

        public BridgeGauge(string bridge, string instrumentName = "actors_mqtt.bridge.connected", string? direction = null)
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                // By name: reading BrokerMetrics here would run its static initializer inside its own, which publishes
                // each instrument to this listener as it creates it.
                if (instrument.Meter.Name == BrokerMetrics.MeterName && instrument.Name == instrumentName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((_, measurement, tags, _) =>
            {
                var ours = false;
                var sameDirection = direction is null;
                foreach (var tag in tags)
                {
                    ours |= tag.Key == "bridge" && Equals(tag.Value, bridge);
                    sameDirection |= tag.Key == "direction" && Equals(tag.Value, direction);
                }

                if (ours && sameDirection)
                {
                    Interlocked.Add(ref value, measurement);
                }
            });
            listener.Start();
        }

        public async Task WaitForAsync(long expected)
        {
            var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30);
            while (Interlocked.Read(ref value) != expected && DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(50);
            }

            Assert.Equal(expected, Interlocked.Read(ref value));
        }

        public void Dispose() => listener.Dispose();
    }
}
