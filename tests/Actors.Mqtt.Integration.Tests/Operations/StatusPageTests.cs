using System.Globalization;
using System.Text.Json;
using Actors.Mqtt.Integration.Tests.Support;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Actors.Mqtt.Integration.Tests.Operations;

/// <summary>
/// The status page at <c>/</c> of the monitoring listener, in Debian's headless Chromium, on a broker process of the
/// test's own (the broker's counters belong to the process). A screenshot of the page as the test read it is saved to
/// <c>artifacts/status-page.png</c> in the test's output folder (<c>bin/Release/net10.0/</c>).
/// </summary>
public sealed class StatusPageTests(StatusPageTests.WorkloadBroker workload) : IClassFixture<StatusPageTests.WorkloadBroker>
{
    private const int Connected = 4;
    private const int Published = 7;
    private const int MaxQueued = 2;
    private const int Dropped = 3;

    /// <summary>Where the test leaves its screenshot.</summary>
    public static string ScreenshotPath { get; } = Path.Combine(AppContext.BaseDirectory, "artifacts", "status-page.png");

    /// <summary>One broker process for the class, with the HTTP listener on, after a known workload (see
    /// <see cref="RunWorkloadAsync"/>).</summary>
    public sealed class WorkloadBroker : IAsyncLifetime
    {
        private readonly string folder = Directory.CreateTempSubdirectory("actors-mqtt-status-").FullName;

        public HttpClient Http { get; } = new();

        public BrokerProcess Broker { get; private set; } = null!;

        public List<TestClient> Clients { get; } = [];

        public async Task InitializeAsync()
        {
            var httpPort = BrokerProcess.FreePort();
            Broker = new BrokerProcess(
                folder,
                "actors-mqtt.http.host=127.0.0.1",
                $"actors-mqtt.http.port={httpPort}",
                $"actors-mqtt.limits.max-queued-messages={MaxQueued}",
                "actors-mqtt.limits.max-topic-levels=3");
            await Broker.StartAsync();
            Http.BaseAddress = new Uri($"http://127.0.0.1:{httpPort}/");
            await RunWorkloadAsync(this);
        }

        public async Task DisposeAsync()
        {
            foreach (var client in Clients)
            {
                await client.DisposeAsync();
            }

            await Broker.DisposeAsync();
            Http.Dispose();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task The_page_shows_the_connections_messages_drops_and_warnings_of_a_workload()
    {
        await using var chromium = await Chromium.LaunchAsync("--window-size=1280,1000");
        var session = await chromium.OpenAsync(workload.Http.BaseAddress!.ToString());

        var expected = new Dictionary<string, string>
        {
            ["sessions-online"] = $"{Connected}",
            ["connections-tcp"] = $"{Connected}",
            ["connections-accepted"] = $"{Connected + 1}",
            ["messages-received-1"] = $"{Published + MaxQueued + Dropped}",
            ["messages-sent-1"] = $"{Published}",
            ["session-queued"] = $"{MaxQueued}",
            ["session-queued-bytes"] = $"{MaxQueued * 2} B",
            ["session-inflight"] = "0",
            ["messages-dropped-max-queued-messages"] = $"{Dropped}",
            ["journal-write-failures"] = "0",

            // The queued and the refused messages alike waited for the offline durable session's answer.
            ["ack-latency-1-count"] = $"{MaxQueued + Dropped}",
            ["warning"] = "Session \"status-3\": SUBSCRIBE filter \"status/a/b/c\" has more than 3 topic levels",
        };
        var shown = await WaitForAsync(chromium, session, expected);
        await chromium.ScreenshotAsync(session, ScreenshotPath);
        var journalLatency = await chromium.EvaluateAsync(session, "document.getElementById('journal-latency-session-p50').textContent");

        Assert.Equal(expected, shown);

        // The sleeper's session journaled its subscription and the queued messages: some time, whatever the disk.
        var (number, unit) = (journalLatency.Split(' ')[0], journalLatency.Split(' ').ElementAtOrDefault(1));
        Assert.True(
            double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 && unit is "ms" or "s",
            $"journal latency shown as \"{journalLatency}\"");
    }

    [Fact]
    public async Task The_status_data_and_a_scrape_of_metrics_at_the_same_moment_agree()
    {
        // A keep-alive ping between the two reads would move the byte counts: read until nothing moved around a scrape.
        Dictionary<string, double> status;
        Scrape scrape;
        var attempts = 0;
        do
        {
            var before = await StatusSeriesAsync();
            scrape = Scrape.Parse(await workload.Http.GetStringAsync("metrics"));
            status = await StatusSeriesAsync();
            if (Same(before, status))
            {
                break;
            }
        }
        while (++attempts < 10);

        var scraped = scrape.Series.Where(s => s.Key.StartsWith("actors_mqtt_", StringComparison.Ordinal)).ToDictionary(s => s.Key, s => s.Value);
        Assert.Equal(scraped.OrderBy(s => s.Key, StringComparer.Ordinal), status.OrderBy(s => s.Key, StringComparer.Ordinal));
        Assert.Equal(Published + MaxQueued + Dropped, status["actors_mqtt_messages_received_total{qos=\"1\"}"]);
    }

    /// <summary><see cref="Connected"/> clients stay connected, one subscribing to what another publishes
    /// (<see cref="Published"/> QoS 1 messages); an offline durable session's queue takes <see cref="MaxQueued"/> and
    /// refuses <see cref="Dropped"/> (payloads of 2 bytes); one SUBSCRIBE too deep makes a warning.</summary>
    private static async Task RunWorkloadAsync(WorkloadBroker broker)
    {
        await using (var sleeper = await ConnectAsync(broker, "sleeper", durable: true))
        {
            await sleeper.SubscribeAsync("status/queue", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        for (var i = 0; i < Connected; i++)
        {
            broker.Clients.Add(await ConnectAsync(broker, $"status-{i}"));
        }

        var (subscriber, publisher) = (broker.Clients[0], broker.Clients[1]);
        await subscriber.SubscribeAsync("status/live", MqttQualityOfServiceLevel.AtLeastOnce);
        for (var i = 0; i < Published; i++)
        {
            await publisher.PublishAsync("status/live", $"m{i}", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        for (var i = 0; i < Published; i++)
        {
            await subscriber.NextAsync();
        }

        // QoS 1 is acknowledged once the offline session has queued or refused it, so these are counted on return.
        for (var i = 0; i < MaxQueued + Dropped; i++)
        {
            await publisher.PublishAsync("status/queue", $"q{i}", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        await broker.Clients[3].SubscribeAsync("status/a/b/c");
    }

    /// <summary>Reads the page's cells until they show <paramref name="expected"/> (the warning: the first that
    /// contains its text), or for at most a minute; returns what it read last.</summary>
    private static async Task<Dictionary<string, string>> WaitForAsync(Chromium chromium, string session, Dictionary<string, string> expected)
    {
        var ids = JsonSerializer.Serialize(expected.Keys.Where(k => k != "warning"));
        var warning = JsonSerializer.Serialize(expected["warning"]);
        var read = $$"""
            JSON.stringify(Object.fromEntries([
                ...{{ids}}.map(id => [id, document.getElementById(id)?.textContent ?? '(no such cell)']),
                ['warning', [...document.querySelectorAll('#warnings tbody td')].map(c => c.textContent)
                    .find(t => t.includes({{warning}})) ? {{warning}} : '(not shown)'],
            ]))
            """;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var shown = JsonSerializer.Deserialize<Dictionary<string, string>>(await chromium.EvaluateAsync(session, read))!;
            if (Same(shown, expected) || deadline.IsCancellationRequested)
            {
                return shown;
            }

            await Task.Delay(200, CancellationToken.None);
        }
    }

    /// <summary><c>/api/status</c> as series named as on <c>/metrics</c>.</summary>
    private async Task<Dictionary<string, double>> StatusSeriesAsync()
    {
        (string Property, string Metric, string? Label)[] fields =
        [
            ("connections", "actors_mqtt_connections", "listener"),
            ("sessionsOnline", "actors_mqtt_sessions_online", null),
            ("sessionsOffline", "actors_mqtt_sessions_offline", null),
            ("sessionsOfflineCluster", "actors_mqtt_sessions_offline_cluster", null),
            ("sessionsExpired", "actors_mqtt_sessions_expired_total", null),
            ("subscriptions", "actors_mqtt_subscriptions", null),
            ("connectionsAccepted", "actors_mqtt_connections_accepted_total", null),
            ("connectionsRefused", "actors_mqtt_connections_refused_total", "reason"),
            ("authenticationFailures", "actors_mqtt_authentication_failures_total", null),
            ("messagesReceived", "actors_mqtt_messages_received_total", "qos"),
            ("messagesSent", "actors_mqtt_messages_sent_total", "qos"),
            ("bytesReceived", "actors_mqtt_received_bytes_total", null),
            ("bytesSent", "actors_mqtt_sent_bytes_total", null),
            ("retainedMessages", "actors_mqtt_retained_messages", null),
            ("sessionQueued", "actors_mqtt_session_queued", null),
            ("sessionQueuedBytes", "actors_mqtt_session_queued_bytes", null),
            ("sessionInflight", "actors_mqtt_session_inflight", null),
            ("messagesDropped", "actors_mqtt_messages_dropped_total", "reason"),
            ("journalWriteFailures", "actors_mqtt_journal_write_failures_total", "writer"),
            ("clusterMembers", "actors_mqtt_cluster_members", "status"),
            ("clusterUnreachable", "actors_mqtt_cluster_unreachable", null),
        ];
        (string Property, string Metric, string Label)[] histograms =
        [
            ("journalWriteSeconds", "actors_mqtt_journal_write_duration_seconds", "writer"),
            ("publishAckSeconds", "actors_mqtt_publish_ack_duration_seconds", "qos"),
        ];
        using var status = JsonDocument.Parse(await workload.Http.GetStringAsync("api/status"));
        var series = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (property, metric, label) in fields)
        {
            var value = status.RootElement.GetProperty(property);
            if (label is null)
            {
                series[metric] = value.GetDouble();
                continue;
            }

            foreach (var byLabel in value.EnumerateObject())
            {
                series[$"{metric}{{{label}=\"{byLabel.Name}\"}}"] = byLabel.Value.GetDouble();
            }
        }

        foreach (var (property, metric, label) in histograms)
        {
            foreach (var byLabel in status.RootElement.GetProperty(property).EnumerateObject())
            {
                var labels = $"{label}=\"{byLabel.Name}\"";
                series[$"{metric}_count{{{labels}}}"] = byLabel.Value.GetProperty("count").GetDouble();
                series[$"{metric}_sum{{{labels}}}"] = byLabel.Value.GetProperty("sum").GetDouble();
                foreach (var bucket in byLabel.Value.GetProperty("buckets").EnumerateObject())
                {
                    series[$"{metric}_bucket{{{labels},le=\"{bucket.Name}\"}}"] = bucket.Value.GetDouble();
                }
            }
        }

        return series;
    }

    private static bool Same<T>(Dictionary<string, T> a, Dictionary<string, T> b) =>
        a.Count == b.Count && !a.Except(b).Any();

    private static async Task<TestClient> ConnectAsync(WorkloadBroker broker, string clientId, bool durable = false) =>
        await TestClient.ConnectAsync(
            MqttProtocolVersion.V500,
            options =>
            {
                options.WithTcpServer("127.0.0.1", broker.Broker.EndPoint.Port);
                if (durable)
                {
                    options.WithCleanStart(false).WithSessionExpiryInterval(300);
                }
            },
            clientId);
}
