namespace Actors.Mqtt.Bench.Tests;

/// <summary>The tool loads only this machine unless told otherwise, and says why it refuses.</summary>
public sealed class TargetTests
{
    // TEST-NET-1 (RFC 5737): documentation only, never routed; refused before any connection is tried anyway.
    private const string RemoteAddress = "192.0.2.1";

    [Fact]
    public async Task Non_loopback_target_is_refused_without_allow_remote()
    {
        var jsonFile = Path.Combine(Path.GetTempPath(), $"bench-refused-{Guid.NewGuid():N}.json");

        var (exitCode, output, error) = await BenchInvocation.RunAsync("--host", RemoteAddress, "--port", "1883", "--json", jsonFile, "--no-progress");

        Assert.Equal(BenchCommand.Refused, exitCode);
        Assert.Contains("not a loopback address", error, StringComparison.Ordinal);
        Assert.Contains("--allow-remote", error, StringComparison.Ordinal);
        Assert.DoesNotContain("fan-in", output, StringComparison.Ordinal);
        Assert.False(File.Exists(jsonFile), "a refused run wrote a report");
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.8.9.10")]
    [InlineData("::1")]
    [InlineData("localhost")]
    public async Task Loopback_targets_are_accepted(string host)
    {
        var (endPoint, error) = await TargetGuard.ResolveAsync(host, 1883, allowRemote: false, CancellationToken.None);

        Assert.Null(error);
        Assert.NotNull(endPoint);
        Assert.True(System.Net.IPAddress.IsLoopback(endPoint.Address), endPoint.ToString());
    }

    [Fact]
    public async Task Remote_target_resolves_only_with_allow_remote()
    {
        var (refused, error) = await TargetGuard.ResolveAsync(RemoteAddress, 1883, allowRemote: false, CancellationToken.None);
        var (allowed, noError) = await TargetGuard.ResolveAsync(RemoteAddress, 1883, allowRemote: true, CancellationToken.None);

        Assert.Null(refused);
        Assert.NotNull(error);
        Assert.Null(noError);
        Assert.Equal($"{RemoteAddress}:1883", allowed?.ToString());
    }

    [Fact]
    public async Task Broker_pid_that_cannot_be_read_is_refused()
    {
        var (exitCode, _, error) = await BenchInvocation.RunAsync("--port", "1883", "--broker-pid", int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture), "--no-progress");

        Assert.Equal(BenchCommand.Refused, exitCode);
        Assert.Contains("--broker-pid", error, StringComparison.Ordinal);
    }
}
