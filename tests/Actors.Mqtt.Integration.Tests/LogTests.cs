using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Actors.Mqtt.Integration.Tests.Support;

namespace Actors.Mqtt.Integration.Tests;

/// <summary>
/// The broker's log as an operator reads it: the built executable, real clients (mosquitto_pub), and what reaches its
/// standard output or its log files.
/// </summary>
public sealed partial class LogTests : IDisposable
{
    private const string Secret = "never-in-a-log-pw";
    private const string Payload = "never-in-a-log-payload";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly string folder = Directory.CreateTempSubdirectory("actors-mqtt-logs-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task By_default_the_console_has_a_short_start_and_one_plain_line_per_event_with_client_and_address()
    {
        await using var broker = new BrokerProcess(folder, "actors-mqtt.log.format=console", "actors-mqtt.log.level=information", "actors-mqtt.persistence.store=memory");
        await broker.StartAsync();

        await PublishAsync(broker, "plain-client");
        var disconnected = await WaitForLineAsync(broker, "Client plain-client disconnected");

        var lines = LogLines(broker.Output);
        Assert.All(lines, line => Assert.Matches(PlainLine(), line));
        Assert.Matches(@" INF actors-mqtt \d+\.\d+\.\d+\S* starting with configuration \S+broker\.conf$", lines[0]);
        Assert.EndsWith(" INF Store: memory (sessions and retained messages do not survive a restart)", lines[1], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.EndsWith($" INF Listening for MQTT on tcp 127.0.0.1:{broker.EndPoint.Port}", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(" INF Client plain-client connected from 127.0.0.1:", StringComparison.Ordinal));
        Assert.Matches(@" INF Client plain-client disconnected from 127\.0\.0\.1:\d+: \S", disconnected);
        // Akka's remoting, cluster and singleton lines are internals, at warning unless asked for.
        Assert.DoesNotContain(lines, l => l.Contains("Remoting", StringComparison.Ordinal) || l.Contains("Cluster Node", StringComparison.Ordinal) || l.Contains("Singleton", StringComparison.Ordinal));
        Assert.True(lines.Count <= 8, "the start-up is short:\n" + string.Join('\n', lines));
        AssertNoSecrets(broker.Output);
    }

    [Fact]
    public async Task The_json_format_writes_one_JSON_object_per_line_with_every_value_a_property()
    {
        await using var broker = new BrokerProcess(folder, "actors-mqtt.log.format=json", "actors-mqtt.log.level=information", "actors-mqtt.persistence.store=memory");
        await broker.StartAsync();

        await PublishAsync(broker, "json-client");
        await WaitForLineAsync(broker, "disconnected");

        var events = LogLines(broker.Output).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.All(events, e => Assert.True(e.TryGetProperty("Timestamp", out _) && e.TryGetProperty("Level", out _) && e.TryGetProperty("RenderedMessage", out _), e.ToString()));
        var connected = Assert.Single(events, e => e.GetProperty("MessageTemplate").GetString()!.StartsWith("Client {ClientId} connected from", StringComparison.Ordinal));
        var properties = connected.GetProperty("Properties");
        Assert.Equal("json-client", properties.GetProperty("ClientId").GetString());
        Assert.StartsWith("127.0.0.1:", properties.GetProperty("RemoteEndPoint").GetString(), StringComparison.Ordinal);
        Assert.Equal("alice", properties.GetProperty("UserName").GetString());
        AssertNoSecrets(broker.Output);
    }

    [Fact]
    public async Task A_category_at_debug_shows_its_debug_lines_and_no_other_category_does()
    {
        await using var broker = new BrokerProcess(
            folder,
            "actors-mqtt.log.format=console",
            "actors-mqtt.log.level=information",
            "actors-mqtt.log.levels.\"Actors.Mqtt.Broker.Connections\"=debug",
            "actors-mqtt.limits.max-topic-levels=2",
            "actors-mqtt.persistence.store=memory");
        await broker.StartAsync();

        await PublishAsync(broker, "debug-client", topic: "too/deep/topic");

        // The connection actor's debug line comes through Akka, whose level had to let it through.
        var dropped = await WaitForLineAsync(broker, "has more than 2 topic levels");
        Assert.Contains(" DBG Client debug-client: PUBLISH to too/deep/topic has more than 2 topic levels", dropped, StringComparison.Ordinal);
        await WaitForLineAsync(broker, "Client debug-client disconnected");
        // The listener logs each socket at debug under its own category, which stays at information.
        Assert.DoesNotContain(LogLines(broker.Output), l => l.Contains(" DBG ", StringComparison.Ordinal) && !l.Contains("Client debug-client", StringComparison.Ordinal));
        Assert.DoesNotContain("connection from 127.0.0.1", broker.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_log_file_is_written_and_rotated_at_its_size_keeping_max_files()
    {
        const int maxFileSize = 2048;
        var logs = Path.Combine(folder, "logs");
        await using var broker = new BrokerProcess(
            folder,
            "actors-mqtt.log.format=console",
            "actors-mqtt.log.level=information",
            "actors-mqtt.log.console=false",
            "actors-mqtt.log.file=logs/broker.log",
            $"actors-mqtt.log.max-file-size={maxFileSize}",
            "actors-mqtt.log.max-files=3",
            "actors-mqtt.persistence.store=memory");
        await broker.StartAsync();

        // Each client logs two lines of about 150 bytes: 30 of them fill four files of 2 KiB or more, so the first
        // (broker.log) is deleted.
        for (var i = 0; i < 30; i++)
        {
            await PublishAsync(broker, string.Create(CultureInfo.InvariantCulture, $"file-client-{i:D2}"));
        }

        var deadline = Stopwatch.StartNew();
        while (!File.ReadLines(Newest(logs)).Any(l => l.Contains("Client file-client-29 disconnected", StringComparison.Ordinal)))
        {
            Assert.True(deadline.Elapsed < Patience, "the last client's line did not reach the newest file");
            await Task.Delay(100);
        }

        var files = Directory.GetFiles(logs).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(3, files.Count);
        Assert.All(files, f => Assert.Matches(@"^broker_\d{3}\.log$", f));
        var lines = files.SelectMany(f => File.ReadAllLines(Path.Combine(logs, f!))).ToList();
        Assert.All(lines, line => Assert.Matches(PlainLine(), line));
        // A file is closed at the first event that finds it at its limit, so it is at most one line over.
        Assert.All(files, f => Assert.InRange(new FileInfo(Path.Combine(logs, f!)).Length, 1, maxFileSize + 512));
        Assert.DoesNotContain(LogLines(broker.Output), l => PlainLine().IsMatch(l));
        AssertNoSecrets(string.Join('\n', lines));
    }

    private static string Newest(string folder) =>
        Directory.GetFiles(folder).OrderBy(f => f, StringComparer.Ordinal).Last();

    /// <summary>A client that logs in as alice with a password and publishes a payload, neither of which may be logged.</summary>
    private static async Task PublishAsync(BrokerProcess broker, string clientId, string topic = "logs/test")
    {
        var (exitCode, _, errors) = await Tools.RunAsync(
            "mosquitto_pub",
            Patience,
            "-h", "127.0.0.1", "-p", broker.EndPoint.Port.ToString(CultureInfo.InvariantCulture),
            "-i", clientId, "-u", "alice", "-P", Secret, "-q", "1", "-t", topic, "-m", Payload);
        Assert.True(exitCode == 0, $"mosquitto_pub failed: {errors}\n{broker.Output}");
    }

    private static async Task<string> WaitForLineAsync(BrokerProcess broker, string text)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (LogLines(broker.Output).FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal)) is { } line)
            {
                return line;
            }

            Assert.True(deadline.Elapsed < Patience, $"the broker did not log '{text}':\n{broker.Output}");
            await Task.Delay(100);
        }
    }

    /// <summary>The broker's own lines, without the markers <see cref="BrokerProcess"/> writes between runs.</summary>
    private static List<string> LogLines(string output) =>
        [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("--- broker", StringComparison.Ordinal))];

    private static void AssertNoSecrets(string log)
    {
        Assert.DoesNotContain(Secret, log, StringComparison.Ordinal);
        Assert.DoesNotContain(Payload, log, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d\d:\d\d (VRB|DBG|INF|WRN|ERR|FTL) \S")]
    private static partial Regex PlainLine();
}
