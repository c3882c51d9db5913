using System.Diagnostics;
using System.Globalization;
using System.Net;
using Actors.Mqtt.Integration.Tests.Support;

namespace Actors.Mqtt.Integration.Tests;

/// <summary>
/// The archive <c>build.ps1 publish</c> makes, as an operator installs it: extracted to a folder of its own, its
/// executable started on its own .NET runtime with the configuration file it ships, and reached by
/// <c>mosquitto_pub</c> and <c>mosquitto_sub</c>.
/// </summary>
/// <remarks>Publishing self-contained takes a minute or more, so the test does not do it: <c>build.ps1 test</c>
/// publishes once before the tests and names the archive in <see cref="ArchiveVariable"/>.</remarks>
public sealed class PublishedArchiveTests : IDisposable
{
    public const string ArchiveVariable = "ACTORS_MQTT_ARCHIVE";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly string folder = Directory.CreateTempSubdirectory("actors-mqtt-archive-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task The_published_archive_extracts_starts_with_its_own_configuration_and_serves_mosquitto_clients()
    {
        var archive = Environment.GetEnvironmentVariable(ArchiveVariable);
        Assert.True(
            archive is { Length: > 0 } && File.Exists(archive),
            $"{ArchiveVariable} does not name the published archive ('{archive}'): run 'dotnet pwsh build.ps1 test', which "
                + $"publishes it first, or 'dotnet pwsh build.ps1 publish' and set {ArchiveVariable} to the .tar.gz it prints");

        var (tarExit, _, tarErrors) = await Tools.RunAsync("tar", Patience, "-xzf", archive!, "-C", folder);
        Assert.True(tarExit == 0, $"tar failed: {tarErrors}");
        var installed = Assert.Single(Directory.GetDirectories(folder, "actors-mqtt-*-linux-x64"));
        foreach (var shipped in new[] { "actors-mqtt", "hocon/broker.conf", "hocon/production.conf", "actors-mqtt.service", "INSTALL.md" })
        {
            Assert.True(File.Exists(Path.Combine(installed, shipped)), $"the archive has no {shipped}");
        }


        // The unit's layout: the files in one folder, the working directory (and so the journal) in another.
        var work = Directory.CreateDirectory(Path.Combine(folder, "var-lib")).FullName;
        var port = BrokerProcess.FreePort();
        using var broker = Start(Path.Combine(installed, "actors-mqtt"), work,
            "--config", Path.Combine(installed, "hocon/broker.conf"),
            "--set", "actors-mqtt.listeners.tcp.host=127.0.0.1",
            "--set", string.Create(CultureInfo.InvariantCulture, $"actors-mqtt.listeners.tcp.port={port}"));
        var output = new List<string>();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        broker.OutputDataReceived += (_, e) =>
        {
            lock (output)
            {
                if (e.Data is { } line)
                {
                    output.Add(line);
                    if (line.Contains($"Listening for MQTT on tcp 127.0.0.1:{port}", StringComparison.Ordinal))
                    {
                        listening.TrySetResult();
                    }
                }
            }
        };
        broker.ErrorDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.Add(e.Data ?? "");
            }
        };
        broker.BeginOutputReadLine();
        broker.BeginErrorReadLine();
        string Said()
        {
            lock (output)
            {
                return string.Join('\n', output);
            }
        }

        try
        {
            await Task.WhenAny(listening.Task, broker.WaitForExitAsync(), Task.Delay(Patience));
            Assert.True(listening.Task.IsCompleted, "the published broker did not say it listens:\n" + Said());

            var host = new[] { "-h", IPAddress.Loopback.ToString(), "-p", port.ToString(CultureInfo.InvariantCulture) };
            var (received, errors) = await MosquittoRoundTrip.RunAsync(
                [.. host, "-t", "installed/check", "-C", "1", "-W", "30", "-q", "1"],
                [.. host, "-t", "installed/check", "-m", "from mosquitto_pub", "-q", "1"]);
            Assert.True(received == "from mosquitto_pub\n", $"mosquitto_sub got '{received}' ({errors}); the broker said:\n{Said()}");

            Assert.True(File.Exists(Path.Combine(work, "data/actors-mqtt.db")), "no journal in the working directory's data/ folder");
            Assert.Contains($"Store: SQLite {Path.Combine(work, "data/actors-mqtt.db")}", Said(), StringComparison.Ordinal);
            Assert.Contains($"starting with configuration {Path.Combine(installed, "hocon/broker.conf")}", Said(), StringComparison.Ordinal);

            // SIGTERM, as systemctl stop sends it: a graceful stop with exit code 0.
            using (var term = Process.Start("kill", ["-TERM", broker.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }

            using var deadline = new CancellationTokenSource(Patience);
            await broker.WaitForExitAsync(deadline.Token);
            Assert.True(broker.ExitCode == 0, $"exit code {broker.ExitCode}:\n{Said()}");
        }
        finally
        {
            if (!broker.HasExited)
            {
                broker.Kill(entireProcessTree: true);
                await broker.WaitForExitAsync();
            }
        }
    }

    private static Process Start(string executable, string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The test host's own runtime settings must not reach a self-contained executable.
        start.Environment.Remove("DOTNET_ROOT");
        start.Environment.Remove("DOTNET_HOST_PATH");
        return Process.Start(start)!;
    }
}
