using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Actors.Mqtt.Integration.Tests.Support;

/// <summary>
/// A real HAProxy (Debian's <c>haproxy</c>) in front of broker nodes, configured as docs/cluster.md shows: TCP mode,
/// round robin over the nodes' MQTT ports, each node checked every second on its monitoring port's <c>/ready</c>;
/// killed and removed on dispose.
/// </summary>
public sealed class HaproxyServer : IAsyncDisposable
{
    public const string ExecutablePath = "/usr/sbin/haproxy";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly DirectoryInfo folder;
    private readonly Process process;
    private readonly StringBuilder output = new();

    private HaproxyServer(DirectoryInfo folder, Process process, int port)
    {
        this.folder = folder;
        this.process = process;
        EndPoint = new IPEndPoint(IPAddress.Loopback, port);
    }

    /// <summary>Where clients connect.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Starts HAProxy in front of <paramref name="nodes"/> (MQTT port and monitoring port of each) and returns
    /// once it accepts connections.</summary>
    public static async Task<HaproxyServer> StartAsync(IReadOnlyList<(int Mqtt, int Http)> nodes)
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException($"{ExecutablePath} is not installed (Debian package haproxy; build.ps1 test installs it)");
        }

        var folder = Directory.CreateTempSubdirectory("actors-mqtt-haproxy-");
        var port = BrokerProcess.FreePort();
        var servers = string.Join("\n", nodes.Select((n, i) => $"    server node{i + 1} 127.0.0.1:{n.Mqtt} check port {n.Http}"));
        var config = Path.Combine(folder.FullName, "haproxy.cfg");
        await File.WriteAllTextAsync(config, $"""
            global
                log stdout format raw local0 info

            defaults
                mode tcp
                log global
                option tcplog
                timeout connect 2s
                timeout client 10m
                timeout server 10m

            frontend mqtt
                bind 127.0.0.1:{port}
                default_backend brokers

            backend brokers
                balance roundrobin
                option httpchk GET /ready
                http-check expect status 200
                default-server inter 1s fall 2 rise 1
            {servers}

            """);
        var process = Tools.Start(ExecutablePath, "-f", config, "-db");
        var server = new HaproxyServer(folder, process, port);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitUntilListeningAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Everything HAProxy logged (a line per connection, and each server going up or down).</summary>
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

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
        folder.Delete(recursive: true);
    }

    private async Task WaitUntilListeningAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"haproxy exited with {process.ExitCode}:\n{Output}");
            }

            try
            {
                using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await probe.ConnectAsync(EndPoint);
                return;
            }
            catch (SocketException) when (deadline.Elapsed < StartTimeout)
            {
                await Task.Delay(100);
            }
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
