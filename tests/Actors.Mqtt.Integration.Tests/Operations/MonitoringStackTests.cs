using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Tests;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Actors.Mqtt.Integration.Tests.Operations;

/// <summary>
/// What docs/monitoring/ gives an operator, against the real tools: the alert rules pass <c>promtool</c>, every metric
/// the dashboard and the rules name is exported by a running broker, and a real Prometheus scrapes a broker and answers
/// a query with the count a workload made.
/// </summary>
public sealed partial class MonitoringStackTests(MonitoringStackTests.MonitoredBroker monitored) : IClassFixture<MonitoringStackTests.MonitoredBroker>
{
    private const string Promtool = "/usr/bin/promtool";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private static string MonitoringFolder { get; } = Path.Combine(Repository.Root, "docs", "monitoring");

    private static string Alerts => Path.Combine(MonitoringFolder, "alerts.yml");

    /// <summary>One fresh broker process for the class (its counters are the process's), with the HTTP listener on.</summary>
    public sealed class MonitoredBroker : IAsyncLifetime
    {
        private readonly string folder = Directory.CreateTempSubdirectory("actors-mqtt-stack-").FullName;

        public HttpClient Http { get; } = new();

        public BrokerProcess Broker { get; private set; } = null!;

        /// <summary>The monitoring listener as a Prometheus target, <c>host:port</c>.</summary>
        public string Target { get; private set; } = string.Empty;

        public async Task InitializeAsync()
        {
            var httpPort = BrokerProcess.FreePort();
            Broker = new BrokerProcess(folder, "actors-mqtt.http.host=127.0.0.1", $"actors-mqtt.http.port={httpPort}");
            await Broker.StartAsync();
            Target = $"127.0.0.1:{httpPort}";
            Http.BaseAddress = new Uri($"http://{Target}/");
        }

        public async Task DisposeAsync()
        {
            Http.Dispose();
            await Broker.DisposeAsync();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Promtool_checks_the_alert_rules_and_their_unit_tests_pass()
    {
        var check = await Tools.RunAsync(Promtool, Wait, "check", "rules", Alerts);
        var test = await Tools.RunAsync(Promtool, Wait, "test", "rules", Path.Combine(MonitoringFolder, "alerts.test.yml"));

        Assert.True(check.ExitCode == 0, check.Output + check.Errors);
        Assert.True(test.ExitCode == 0, test.Output + test.Errors);
    }

    [Fact]
    public async Task Every_metric_the_dashboard_and_the_alert_rules_name_is_exported_by_a_running_broker()
    {
        var dashboard = await File.ReadAllTextAsync(Path.Combine(MonitoringFolder, "grafana-dashboard.json"));
        var rules = await File.ReadAllTextAsync(Alerts);
        using var parsed = JsonDocument.Parse(dashboard);
        var named = MetricName().Matches(dashboard + "\n" + rules).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);

        // Every counter and gauge the dashboard and the rules read is there from the start; a histogram is written from
        // its first measurement, so one durable publish and one retained one. QoS 2, so that the QoS 1 count the
        // Prometheus test queries stays its own.
        await using (var durable = await TestClient.ConnectAsync(
            MqttProtocolVersion.V500,
            options => options.WithTcpServer("127.0.0.1", monitored.Broker.EndPoint.Port).WithCleanStart(false).WithSessionExpiryInterval(300),
            "stack-durable"))
        {
            await durable.SubscribeAsync("stack/durable", MqttQualityOfServiceLevel.AtLeastOnce);
            await using var publisher = await TestClient.ConnectAsync(
                MqttProtocolVersion.V500,
                options => options.WithTcpServer("127.0.0.1", monitored.Broker.EndPoint.Port),
                "stack-histograms");
            await publisher.PublishAsync("stack/durable", "m", MqttQualityOfServiceLevel.ExactlyOnce);
            await publisher.PublishAsync("stack/retained", "m", MqttQualityOfServiceLevel.ExactlyOnce, retain: true);
        }

        var exported = Scrape.Parse(await monitored.Http.GetStringAsync("metrics")).Names.ToHashSet(StringComparer.Ordinal);

        Assert.Equal("Actors.Mqtt", parsed.RootElement.GetProperty("title").GetString());
        Assert.Contains("actors_mqtt_journal_write_failures_total", named);
        Assert.Contains("actors_mqtt_journal_write_duration_seconds_bucket", named);
        Assert.Contains("actors_mqtt_publish_ack_duration_seconds_bucket", named);
        Assert.Contains("dotnet_gc_collections_total", named);
        Assert.Empty(named.Except(exported).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_real_Prometheus_scrapes_the_broker_and_a_query_returns_the_count_of_a_workload()
    {
        const int Published = 5;

        // One "ok" per rule of alerts.yml: each loaded and evaluated without an error.
        const string AllHealthy = "ok ok ok ok ok ok";
        const string Query = "actors_mqtt_messages_received_total{job=\"actors-mqtt\", qos=\"1\"}";
        await using var prometheus = await PrometheusServer.StartAsync(monitored.Target, Alerts);
        await using (var publisher = await TestClient.ConnectAsync(
            MqttProtocolVersion.V500,
            options => options.WithTcpServer("127.0.0.1", monitored.Broker.EndPoint.Port),
            "prometheus-publisher"))
        {
            for (var i = 0; i < Published; i++)
            {
                await publisher.PublishAsync("stack/counted", $"m{i}", MqttQualityOfServiceLevel.AtLeastOnce);
            }
        }

        var (value, up, rules) = (default(double?), default(double?), string.Empty);
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < Wait)
        {
            value = await prometheus.QueryAsync(Query);
            up = await prometheus.QueryAsync("up{job=\"actors-mqtt\"}");
            rules = await RuleHealthAsync(prometheus);
            if (value == Published && up == 1 && rules == AllHealthy)
            {
                break;
            }

            await Task.Delay(500);
        }

        Assert.True(value == Published, $"{Query} is {value?.ToString(CultureInfo.InvariantCulture) ?? "absent"}, expected {Published}\n{prometheus.Output}");
        Assert.Equal(1, up);

        // Prometheus loaded the documented rules and evaluated them against the broker's series without an error.
        Assert.Equal(AllHealthy, rules);
    }

    /// <summary>The health of each loaded rule (<c>ok</c>, <c>err</c>, <c>unknown</c> before its first evaluation),
    /// in order.</summary>
    private static async Task<string> RuleHealthAsync(PrometheusServer prometheus)
    {
        using var answer = JsonDocument.Parse(await prometheus.Http.GetStringAsync("api/v1/rules"));
        return string.Join(' ', answer.RootElement.GetProperty("data").GetProperty("groups").EnumerateArray()
            .SelectMany(g => g.GetProperty("rules").EnumerateArray())
            .Select(r => r.GetProperty("health").GetString()));
    }

    /// <summary>A metric of the broker or of the .NET runtime, as the exporter names them.</summary>
    [GeneratedRegex(@"\b(?:actors_mqtt|dotnet)_[a-z0-9_]+\b")]
    private static partial Regex MetricName();
}
