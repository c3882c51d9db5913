using System.Globalization;
using Actors.Mqtt.Bench.Reporting;
using Actors.Mqtt.Bench.Scenarios;
using Actors.Mqtt.Integration.Tests.Support;

namespace Actors.Mqtt.Bench.Tests;

/// <summary>
/// Every scenario of the tool, with tiny counts, against the real broker on a loopback port: it must end by itself,
/// count every message, report no error and write its JSON. Speed is never asserted.
/// </summary>
public sealed class ScenarioSmokeTests(BrokerFixture broker) : IClassFixture<BrokerFixture>, IDisposable
{
    // Small enough that no bounded queue of the broker fills (QoS 0 is only dropped past one), so every delivery counts.
    // A generous --idle-limit: on a loaded machine the broker may pause for seconds, and a complete run does not wait it out.
    private const string Scale = "0.002";
    private readonly string jsonFile = Path.Combine(Path.GetTempPath(), $"bench-smoke-{Guid.NewGuid():N}.json");

    public static TheoryData<string> ScenarioNames => [.. ScenarioCatalog.Names];

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public async Task Scenario_runs_to_the_end_and_counts_every_message(string scenario)
    {
        var (exitCode, output, error) = await BenchInvocation.RunAsync(
            "--port", broker.Port.ToString(CultureInfo.InvariantCulture),
            "--broker-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
            "--label", "in-process",
            "--scenario", scenario,
            "--scale", Scale,
            "--time-limit", "120",
            "--idle-limit", "30",
            "--no-progress",
            "--json", jsonFile);

        Assert.True(exitCode == 0, $"exit code {exitCode}\n{output}\n{error}");
        var report = JsonReport.FromJson(await File.ReadAllTextAsync(jsonFile));
        var result = Assert.Single(report.Results);
        Assert.Equal(scenario, result.Scenario);
        Assert.Equal("in-process", result.Broker);
        Assert.True(result.Ok, string.Join("; ", result.Errors));
        Assert.Empty(result.Errors);
        Assert.True(result.Expected > 0, "the scenario expected nothing");
        Assert.Equal(result.Expected, result.Delivered);
        Assert.Equal(0, result.Lost);
        Assert.Equal(0, result.Duplicates);
        Assert.NotNull(result.BrokerCpuSeconds);
        Assert.NotNull(result.RssPeakBytes);
        Assert.Contains($"[in-process] {scenario}: ok;", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Point_to_point_reports_latency_percentiles()
    {
        var (exitCode, output, error) = await BenchInvocation.RunAsync(
            "--port", broker.Port.ToString(CultureInfo.InvariantCulture),
            "--scenario", "point-to-point",
            "--scale", Scale,
            "--idle-limit", "30",
            "--no-progress",
            "--json", jsonFile);

        Assert.True(exitCode == 0, $"exit code {exitCode}\n{output}\n{error}");
        var result = Assert.Single(JsonReport.FromJson(await File.ReadAllTextAsync(jsonFile)).Results);
        Assert.NotNull(result.LatencyP50Micros);
        Assert.True(result.LatencyP50Micros <= result.LatencyP99Micros && result.LatencyP99Micros <= result.LatencyMaxMicros, $"p50 {result.LatencyP50Micros}, p99 {result.LatencyP99Micros}, max {result.LatencyMaxMicros}");
        Assert.Equal("unknown (no --broker-pid)", result.Bottleneck);
        Assert.Null(result.BrokerCpuSeconds);
    }

    public void Dispose() => File.Delete(jsonFile);
}
