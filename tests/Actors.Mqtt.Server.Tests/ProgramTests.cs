using System.Diagnostics;

namespace Actors.Mqtt.Server.Tests;

/// <summary>The built <c>actors-mqtt</c> executable, run as an operator runs it.</summary>
public sealed class ProgramTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("actors-mqtt-program-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_bad_config_exits_with_2_and_names_file_and_line()
    {
        var path = Path.Combine(_directory, "broker.conf");
        await File.WriteAllTextAsync(path, "actors-mqtt.listeners.tcp {\n  port = [1, 2\n}\n");

        var (exitCode, stdout, stderr) = await RunAsync("--config", path);

        Assert.Equal(2, exitCode);
        Assert.Contains($"{path}:2:10:", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Empty(stdout);
    }

    [Fact]
    public async Task A_malformed_set_exits_with_2_and_names_it()
    {
        var (exitCode, _, stderr) = await RunAsync("--set", "port");

        Assert.Equal(2, exitCode);
        Assert.Contains("--set port", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_config_file_exits_with_2_and_names_it()
    {
        var path = Path.Combine(_directory, "absent.conf");

        var (exitCode, _, stderr) = await RunAsync("--config", path);

        Assert.Equal(2, exitCode);
        Assert.Contains(path, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_good_config_without_a_broker_refuses_to_start()
    {
        var (exitCode, _, stderr) = await RunAsync("--set", "actors-mqtt.listeners.tcp.port=0");

        Assert.Equal(1, exitCode);
        Assert.Contains("broker is not implemented yet", stderr, StringComparison.Ordinal);
    }

    private async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _directory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "actors-mqtt.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
