using System.Globalization;
using Actors.Mqtt.Bench.Reporting;
using Actors.Mqtt.Bench.Scenarios;
using Actors.Mqtt.Integration.Tests.Support;
using Xunit.Abstractions;

namespace Actors.Mqtt.Bench.Tests;

/// <summary>
/// The persistent-fleet scenario's two phases against a real broker process on SQLite, stopped with SIGTERM and started
/// again on the same file between them, as `build.ps1 bench-fleet` runs it: every session found again and every queued
/// message delivered; and a reconnect that finds no sessions reported as a failure. Speed is never asserted.
/// </summary>
public sealed class PersistentFleetScenarioTests(ITestOutputHelper output) : IDisposable
{
    // 5,000 devices at scale 1: 50 here.
    private const string Scale = "0.01";
    private const int Devices = 50;
    private readonly string workingDirectory = Directory.CreateTempSubdirectory("actors-mqtt-fleet-").FullName;
    private readonly string jsonFile = Path.Combine(Path.GetTempPath(), $"bench-fleet-{Guid.NewGuid():N}.json");
    [Fact]
    public async Task Sessions_created_before_a_restart_are_all_found_after_it_with_their_queued_message()
    {
        await using var broker = await StartAsync();
        var created = await RunAsync(broker, "create", "fleet");
        Assert.True(created.Ok, string.Join("; ", created.Errors));
        Assert.Equal(Devices, created.Expected);
        Assert.Equal(Devices, created.Delivered);
        Assert.NotNull(created.ConnectionsPerSecond);
        Assert.NotNull(created.RssPerSessionBytes);
        Assert.NotNull(created.RssSettledBytes);

        await broker.TerminateAsync();
        await broker.StartAsync(samePort: true);

        var reconnected = await RunAsync(broker, "reconnect", "fleet");
        Assert.True(reconnected.Ok, string.Join("; ", reconnected.Errors));
        Assert.Equal(Devices, reconnected.Expected);
        Assert.Equal(Devices, reconnected.Delivered);
        Assert.Equal(0, reconnected.Lost);
        Assert.Equal(0, reconnected.Duplicates);
        Assert.Equal(Devices, reconnected.Connections);
    }

    [Fact]
    public async Task A_reconnect_of_part_of_the_fleet_counts_only_the_devices_that_came_back()
    {
        const int Back = 20;
        await using var broker = await StartAsync();
        Assert.True((await RunAsync(broker, "create", "part")).Ok);

        var reconnected = await RunAsync(broker, "reconnect", "part", extra: ["--fleet-reconnect", Back.ToString(CultureInfo.InvariantCulture)]);

        Assert.True(reconnected.Ok, string.Join("; ", reconnected.Errors));
        Assert.Equal((Back, Back, Back), (reconnected.Expected, reconnected.Delivered, reconnected.Connections));
        Assert.Contains(reconnected.Notes, n => n.Contains($"{Back} of the fleet's {Devices} devices reconnect", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_reconnect_that_finds_no_sessions_fails_with_every_message_lost()
    {
        await using var broker = await StartAsync();
        var result = await RunAsync(broker, "reconnect", "never-created", expectedExitCode: BenchCommand.ScenarioFailed);

        Assert.False(result.Ok);
        Assert.Equal(Devices, result.Lost);
        Assert.Contains(result.Errors, e => e.Contains($"{Devices} of {Devices} devices got session present = 0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Creating_a_fleet_whose_sessions_already_exist_is_an_error()
    {
        await using var broker = await StartAsync();
        Assert.True((await RunAsync(broker, "create", "twice")).Ok);

        var again = await RunAsync(broker, "create", "twice", expectedExitCode: BenchCommand.ScenarioFailed);

        Assert.Contains(again.Errors, e => e.Contains("already had a session", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        File.Delete(jsonFile);
        Directory.Delete(workingDirectory, recursive: true);
    }

    /// <summary>The broker on its default store, SQLite in the test's working folder.</summary>
    private async Task<BrokerProcess> StartAsync()
    {
        var broker = new BrokerProcess(workingDirectory);
        await broker.StartAsync();
        return broker;
    }

    private async Task<ScenarioResult> RunAsync(BrokerProcess broker, string phase, string fleetId, int expectedExitCode = BenchCommand.Ok, string[]? extra = null)
    {
        var (exitCode, text, error) = await BenchInvocation.RunAsync([
            "--port", broker.EndPoint.Port.ToString(CultureInfo.InvariantCulture),
            "--broker-pid", broker.Pid.ToString(CultureInfo.InvariantCulture),
            "--scenario", ScenarioCatalog.PersistentFleet,
            "--fleet-phase", phase,
            "--fleet-id", fleetId,
            "--scale", Scale,
            "--time-limit", "120",
            "--idle-limit", "30",
            "--no-progress",
            "--json", jsonFile,
            .. extra ?? []]);
        output.WriteLine(text);
        Assert.True(exitCode == expectedExitCode, $"exit code {exitCode}\n{text}\n{error}\nbroker:\n{broker.Output}");
        var result = Assert.Single(JsonReport.FromJson(await File.ReadAllTextAsync(jsonFile)).Results);
        Assert.Equal(ScenarioCatalog.PersistentFleet, result.Scenario);
        return result;
    }
}
