using System.CommandLine;
using System.Net;
using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Server.Commands;
using Actors.Mqtt.Server.Operations;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Actors.Mqtt.Integration.Tests.Operations;

/// <summary>
/// <c>/metrics</c>, <c>/health</c> and <c>/ready</c> on the HTTP listener. The counts are read from a broker process
/// of the test's own: the broker's counters belong to the process, and other tests' brokers run in this one.
/// </summary>
public sealed class MonitoringTests(MonitoringTests.MonitoredBroker monitored) : IClassFixture<MonitoringTests.MonitoredBroker>
{
    private const int MaxQueued = 2;

    /// <summary>One broker process for the class, with a password file, a small queue limit and the HTTP listener on.</summary>
    public sealed class MonitoredBroker : IAsyncLifetime
    {
        public string Folder { get; } = Directory.CreateTempSubdirectory("actors-mqtt-monitoring-").FullName;

        public HttpClient Http { get; } = new();

        public BrokerProcess Broker { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            var passwords = Path.Combine(Folder, "passwd");
            Assert.Equal(0, await new RootCommand { PasswdCommand.Create() }.Parse(["passwd", passwords, "alice", "--password", "alice-pw"]).InvokeAsync());
            var httpPort = BrokerProcess.FreePort();
            Broker = new BrokerProcess(
                Folder,
                "actors-mqtt.http.host=127.0.0.1",
                $"actors-mqtt.http.port={httpPort}",
                "actors-mqtt.auth.allow-anonymous=false",
                $"actors-mqtt.auth.password-file={passwords}",
                $"actors-mqtt.limits.max-queued-messages={MaxQueued}",
                // The broker's own $SYS topics are retained messages too; counted here, they would hide the workload's one.
                "actors-mqtt.sys-interval=0s");
            await Broker.StartAsync();
            Http.BaseAddress = new Uri($"http://127.0.0.1:{httpPort}");
        }

        public async Task DisposeAsync()
        {
            Http.Dispose();
            await Broker.DisposeAsync();
            Directory.Delete(Folder, recursive: true);
        }
    }

    [Fact]
    public async Task Health_and_ready_answer_200_once_the_broker_listens_and_its_journal_takes_a_write()
    {
        using var health = await monitored.Http.GetAsync("/health");
        using var ready = await monitored.Http.GetAsync("/ready");

        Assert.Equal((HttpStatusCode.OK, "alive\n"), (health.StatusCode, await health.Content.ReadAsStringAsync()));
        Assert.Equal((HttpStatusCode.OK, "ready\n"), (ready.StatusCode, await ready.Content.ReadAsStringAsync()));
        Assert.True(File.Exists(Path.Combine(monitored.Folder, "data", "actors-mqtt.db")), "the probe wrote to the broker's SQLite journal");
    }

    [Fact]
    public async Task Metrics_count_exactly_the_workload_a_test_ran()
    {
        var before = await ScrapeAsync();

        // A durable session that goes offline, to fill its queue; a live subscriber; a publisher.
        var sleeper = await ConnectAsync("sleeper", "alice", "alice-pw", durable: true);
        await sleeper.SubscribeAsync("ops/queue", MqttQualityOfServiceLevel.AtLeastOnce);
        await using var watcher = await ConnectAsync("watcher", "alice", "alice-pw");
        await watcher.SubscribeAsync("ops/live/#", MqttQualityOfServiceLevel.ExactlyOnce);
        await using var publisher = await ConnectAsync("publisher", "alice", "alice-pw");

        var connected = await ScrapeAsync();
        Assert.Equal(3, connected.Of("actors_mqtt_sessions_online"));
        Assert.Equal(3, connected.Of("actors_mqtt_connections{listener=\"tcp\"}"));

        await sleeper.DisposeAsync();
        var payload = new string('p', 100);
        for (var i = 0; i < 3; i++)
        {
            await publisher.PublishAsync("ops/live/a", payload);
        }

        for (var i = 0; i < 2; i++)
        {
            await publisher.PublishAsync("ops/live/a", payload, MqttQualityOfServiceLevel.AtLeastOnce);
        }

        await publisher.PublishAsync("ops/live/a", payload, MqttQualityOfServiceLevel.ExactlyOnce);
        for (var i = 0; i < 6; i++)
        {
            await watcher.NextAsync();
        }

        await publisher.PublishAsync("ops/retained", payload, MqttQualityOfServiceLevel.AtLeastOnce, retain: true);

        // QoS 1 is acknowledged once the offline session has queued or refused it, so these are counted on return.
        for (var i = 0; i < MaxQueued + 2; i++)
        {
            await publisher.PublishAsync("ops/queue", payload, MqttQualityOfServiceLevel.AtLeastOnce);
        }

        // Refused last: the gauge of open connections above counts only the three clients.
        await using var intruder = await ConnectAsync("intruder", "alice", "wrong");
        await using var anonymous = await ConnectAsync("anonymous", user: null, password: null);
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, intruder.ConnectResult.ResultCode);
        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, anonymous.ConnectResult.ResultCode);

        var after = await ScrapeAsync();
        Assert.Equal(3, after.Of("actors_mqtt_messages_received_total{qos=\"0\"}") - before.Of("actors_mqtt_messages_received_total{qos=\"0\"}"));
        Assert.Equal(2 + 1 + MaxQueued + 2, after.Of("actors_mqtt_messages_received_total{qos=\"1\"}") - before.Of("actors_mqtt_messages_received_total{qos=\"1\"}"));
        Assert.Equal(1, after.Of("actors_mqtt_messages_received_total{qos=\"2\"}") - before.Of("actors_mqtt_messages_received_total{qos=\"2\"}"));
        Assert.Equal(3, after.Of("actors_mqtt_messages_sent_total{qos=\"0\"}") - before.Of("actors_mqtt_messages_sent_total{qos=\"0\"}"));
        Assert.Equal(2, after.Of("actors_mqtt_messages_sent_total{qos=\"1\"}") - before.Of("actors_mqtt_messages_sent_total{qos=\"1\"}"));
        Assert.Equal(1, after.Of("actors_mqtt_messages_sent_total{qos=\"2\"}") - before.Of("actors_mqtt_messages_sent_total{qos=\"2\"}"));
        Assert.Equal(2, after.Of("actors_mqtt_session_queue_dropped_total{limit=\"max-queued-messages\"}") - before.Of("actors_mqtt_session_queue_dropped_total{limit=\"max-queued-messages\"}"));
        Assert.Equal(3, after.Of("actors_mqtt_connections_accepted_total") - before.Of("actors_mqtt_connections_accepted_total"));
        Assert.Equal(1, after.Of("actors_mqtt_connections_refused_total{reason=\"bad-user-name-or-password\"}") - before.Of("actors_mqtt_connections_refused_total{reason=\"bad-user-name-or-password\"}"));
        Assert.Equal(1, after.Of("actors_mqtt_connections_refused_total{reason=\"not-authorized\"}") - before.Of("actors_mqtt_connections_refused_total{reason=\"not-authorized\"}"));
        Assert.Equal(2, after.Of("actors_mqtt_authentication_failures_total") - before.Of("actors_mqtt_authentication_failures_total"));
        Assert.Equal(1, after.Of("actors_mqtt_retained_messages"));
        Assert.Equal(0, after.Of("actors_mqtt_journal_write_failures_total{writer=\"session\"}") + after.Of("actors_mqtt_journal_write_failures_total{writer=\"retained\"}"));

        // Every PUBLISH carries its 100-byte payload in and out, beside the other packets.
        Assert.True(after.Of("actors_mqtt_received_bytes_total") - before.Of("actors_mqtt_received_bytes_total") >= 11 * payload.Length);
        Assert.True(after.Of("actors_mqtt_sent_bytes_total") - before.Of("actors_mqtt_sent_bytes_total") >= 6 * payload.Length);

        // The runtime's own, from the System.Runtime meter.
        Assert.True(after.Of("dotnet_gc_collections_total{gc_heap_generation=\"gen0\"}") >= 0);
        Assert.True(after.Of("dotnet_thread_pool_thread_count") > 0);
    }

    [Fact]
    public async Task Durable_publishes_are_timed_to_their_acknowledgement_and_journal_writes_by_writer()
    {
        const int Qos1 = 5;
        const int Qos2 = 2;
        const string AckCount = "actors_mqtt_publish_ack_duration_seconds_count";
        const string WriteCount = "actors_mqtt_journal_write_duration_seconds_count";
        var before = await ScrapeAsync();

        // A durable subscriber, connected and then offline; every message it is sent is journaled before its PUBACK.
        var keeper = await ConnectAsync("keeper", "alice", "alice-pw", durable: true);
        await keeper.SubscribeAsync("ops/durable/#", MqttQualityOfServiceLevel.ExactlyOnce);
        await using var publisher = await ConnectAsync("timed-publisher", "alice", "alice-pw");
        for (var i = 0; i < Qos1; i++)
        {
            await publisher.PublishAsync("ops/durable/online", "m", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        for (var i = 0; i < Qos2; i++)
        {
            await publisher.PublishAsync("ops/durable/online", "m", MqttQualityOfServiceLevel.ExactlyOnce);
        }

        for (var i = 0; i < Qos1 + Qos2; i++)
        {
            await keeper.NextAsync();
        }

        await keeper.DisposeAsync();
        await publisher.PublishAsync("ops/durable/offline", "m", MqttQualityOfServiceLevel.AtLeastOnce);

        // Nobody durable subscribed: acknowledged at once, not timed.
        await publisher.PublishAsync("ops/nobody", "m", MqttQualityOfServiceLevel.AtLeastOnce);
        await publisher.PublishAsync("ops/nobody", "m", MqttQualityOfServiceLevel.ExactlyOnce);

        // Retained, set and cleared: each PUBACK waits for the retained store's write, so both are timed.
        await publisher.PublishAsync("ops/latency/retained", "m", MqttQualityOfServiceLevel.AtLeastOnce, retain: true);
        await publisher.PublishAsync("ops/latency/retained", string.Empty, MqttQualityOfServiceLevel.AtLeastOnce, retain: true);

        // Each is measured before its PUBACK, PUBREC or the confirmation behind them is sent, so all are counted on return.
        var after = await ScrapeAsync();
        double Delta(string series) => after.Of(series) - before.Of(series);
        Assert.Equal(Qos1 + 1 + 2, Delta(AckCount + "{qos=\"1\"}"));
        Assert.Equal(Qos2, Delta(AckCount + "{qos=\"2\"}"));
        Assert.Equal(2, Delta(WriteCount + "{writer=\"retained\"}"));
        Assert.True(Delta(WriteCount + "{writer=\"session\"}") >= 1);
        Assert.True(Delta("actors_mqtt_journal_write_duration_seconds_sum{writer=\"session\"}") > 0);
        Assert.True(Delta("actors_mqtt_publish_ack_duration_seconds_sum{qos=\"1\"}") > 0);

        // The buckets are the broker's, in seconds (the instruments advise them), not the exporter's default ones, which
        // are sized for milliseconds.
        Assert.Equal(after.Of(WriteCount + "{writer=\"session\"}"), after.Of("actors_mqtt_journal_write_duration_seconds_bucket{writer=\"session\",le=\"+Inf\"}"));
        Assert.Contains("actors_mqtt_journal_write_duration_seconds_bucket{writer=\"session\",le=\"0.0005\"}", after.Series.Keys);
        Assert.DoesNotContain("actors_mqtt_journal_write_duration_seconds_bucket{writer=\"session\",le=\"7500\"}", after.Series.Keys);
    }

    [Fact]
    public async Task Metrics_are_in_the_Prometheus_text_format()
    {
        using var response = await monitored.Http.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("# TYPE actors_mqtt_retained_messages gauge\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE dotnet_gc_collections_total counter\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Other_paths_are_not_found()
    {
        using var response = await monitored.Http.GetAsync("/mqtt");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private async Task<TestClient> ConnectAsync(string clientId, string? user, string? password, bool durable = false) =>
        await TestClient.ConnectAsync(
            MqttProtocolVersion.V500,
            options =>
            {
                options.WithTcpServer("127.0.0.1", monitored.Broker.EndPoint.Port);
                if (user is not null)
                {
                    options.WithCredentials(user, password);
                }

                if (durable)
                {
                    options.WithCleanStart(false).WithSessionExpiryInterval(300);
                }
            },
            clientId);

    private async Task<Scrape> ScrapeAsync() => Scrape.Parse(await monitored.Http.GetStringAsync("/metrics"));
}

/// <summary>The HTTP listener is off unless <c>actors-mqtt.http.port</c> is set.</summary>
public sealed class MonitoringOffByDefaultTests : IAsyncLifetime
{
    private readonly BrokerFixture broker = new();

    public Task InitializeAsync() => broker.InitializeAsync();

    public Task DisposeAsync() => broker.DisposeAsync();

    [Fact]
    public void Without_a_port_only_the_MQTT_listener_is_bound()
    {
        var addresses = broker.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;

        Assert.Null(broker.Services.GetService<MonitoringHttp>());
        Assert.Equal([$"http://127.0.0.1:{broker.Port}"], addresses);
    }
}
