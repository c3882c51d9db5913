using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Actors.Mqtt.Integration.Tests.Support;

/// <summary>
/// A real Prometheus server (Debian's <c>prometheus</c>): a temp configuration and data folder, a free loopback port, a
/// scrape every second of one target as job <c>actors-mqtt</c>; killed and removed on dispose.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    public const string ExecutablePath = "/usr/bin/prometheus";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly DirectoryInfo folder;
    private readonly Process process;
    private readonly StringBuilder output = new();

    private PrometheusServer(DirectoryInfo folder, Process process, Uri address)
    {
        this.folder = folder;
        this.process = process;
        Address = address;
        Http = new HttpClient { BaseAddress = address };
    }

    public Uri Address { get; }

    public HttpClient Http { get; }

    /// <summary>Starts Prometheus scraping <paramref name="target"/> (<c>host:port</c>) and evaluating
    /// <paramref name="ruleFiles"/>, and returns once it is ready.</summary>
    public static async Task<PrometheusServer> StartAsync(string target, params string[] ruleFiles)
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException($"{ExecutablePath} is not installed (Debian package prometheus; build.ps1 test installs it)");
        }

        var folder = Directory.CreateTempSubdirectory("actors-mqtt-prometheus-");
        var config = Path.Combine(folder.FullName, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files: [{string.Join(", ", ruleFiles.Select(f => JsonSerializer.Serialize(f)))}]
            scrape_configs:
              - job_name: actors-mqtt
                static_configs:
                  - targets: ["{target}"]
            """);
        var port = BrokerProcess.FreePort();
        var process = Tools.Start(
            ExecutablePath,
            $"--config.file={config}",
            $"--storage.tsdb.path={Path.Combine(folder.FullName, "data")}",
            $"--web.listen-address=127.0.0.1:{port}");
        var server = new PrometheusServer(folder, process, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitUntilReadyAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Everything Prometheus logged, for a failing test's message.</summary>
    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>The value of an instant query with one series in its answer, or null while it has none.</summary>
    public async Task<double?> QueryAsync(string query)
    {
        using var answer = JsonDocument.Parse(await Http.GetStringAsync("api/v1/query?query=" + Uri.EscapeDataString(query)));
        var result = answer.RootElement.GetProperty("data").GetProperty("result");
        return result.GetArrayLength() == 1
            ? double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture)
            : null;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
        Http.Dispose();
        folder.Delete(recursive: true);
    }

    private async Task WaitUntilReadyAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited with {process.ExitCode}:\n{Output}");
            }

            try
            {
                using var ready = await Http.GetAsync("-/ready");
                if (ready.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (deadline.Elapsed < StartTimeout)
            {
                // Not listening yet.
            }

            if (deadline.Elapsed > StartTimeout)
            {
                throw new TimeoutException($"prometheus not ready within {StartTimeout}:\n{Output}");
            }

            await Task.Delay(200);
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }
}
