using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Actors.Mqtt.Integration.Tests.Support;

/// <summary>
/// The built broker executable as an operator runs it, in a working folder of the test's, so that it can be killed
/// with <c>kill -9</c> and started again on the same store.
/// </summary>
public sealed class BrokerProcess : IAsyncDisposable
{
    // Each test process starts at its own place in 20000-28000, under the ephemeral range (32768 and up).
    private const int PortsPerRun = 2000;
    private static readonly int FirstPort = 20000 + (Environment.ProcessId % 4 * PortsPerRun);
    private static int lastPort = FirstPort;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly string workingDirectory;
    private readonly IReadOnlyList<string> settings;
    private readonly StringBuilder output = new();
    private Process? process;

    public BrokerProcess(string workingDirectory, params string[] settings)
    {
        this.workingDirectory = workingDirectory;
        this.settings = settings;
    }

    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.Loopback, 0);

    /// <summary>The running process's id, for a tool that signals it.</summary>
    public int Pid => process?.Id ?? throw new InvalidOperationException("the broker is not running");

    /// <summary>True once the process started last has ended, whoever ended it.</summary>
    public bool HasExited => process is { HasExited: true };

    /// <summary>Everything the process wrote so far, for a failing test's message.</summary>
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

    /// <summary>Starts the broker on a free loopback port (or, with <paramref name="samePort"/>, on the port of its last
    /// start, where a load balancer expects it) and returns once it accepts connections, on its HTTP port too when a
    /// setting gives one: Kestrel binds that one after the MQTT listener.</summary>
    public async Task StartAsync(bool samePort = false)
    {
        if (!samePort)
        {
            EndPoint = new IPEndPoint(IPAddress.Loopback, FreePort());
        }

        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "actors-mqtt.dll"));
        // JSON lines, so that a test can read a logged value as a property; a test's own settings come after and win.
        string[] defaults = ["actors-mqtt.log.format=json", "actors-mqtt.log.level=warning"];
        foreach (var set in defaults.Concat(settings).Concat([
            "actors-mqtt.listeners.tcp.host=127.0.0.1",
            $"actors-mqtt.listeners.tcp.port={EndPoint.Port}",
        ]))
        {
            start.ArgumentList.Add("--set");
            start.ArgumentList.Add(set);
        }

        process = Process.Start(start)!;

        // Marks where each process's lines begin, for a test that restarts the broker and reports its output.
        Append(string.Create(CultureInfo.InvariantCulture, $"--- broker started: pid {process.Id}, port {EndPoint.Port} ---"));
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the broker exited with {process.ExitCode} while starting:\n{Output}");
            }

            try
            {
                foreach (var listening in ListeningEndPoints())
                {
                    using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    await probe.ConnectAsync(listening);
                }

                return;
            }
            catch (SocketException) when (deadline.Elapsed < StartTimeout)
            {
                await Task.Delay(100);
            }
        }
    }

    private IEnumerable<IPEndPoint> ListeningEndPoints()
    {
        yield return EndPoint;
        if (settings.LastOrDefault(s => s.StartsWith("actors-mqtt.http.port=", StringComparison.Ordinal)) is { } http)
        {
            yield return new IPEndPoint(IPAddress.Loopback, int.Parse(http["actors-mqtt.http.port=".Length..], CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Runs the executable once with <paramref name="args"/> (a subcommand such as <c>journal replay</c>) in
    /// <paramref name="workingDirectory"/>, and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunToolAsync(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "actors-mqtt.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var tool = Process.Start(start)!;
        var stdout = tool.StandardOutput.ReadToEndAsync();
        var stderr = tool.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(StartTimeout);
        await tool.WaitForExitAsync(deadline.Token);
        return (tool.ExitCode, await stdout, await stderr);
    }

    /// <summary>SIGKILL, as <c>kill -9</c> sends it: no shutdown, no flush, the process is just gone.</summary>
    public async Task KillAsync()
    {
        if (process is not { HasExited: false } running)
        {
            throw new InvalidOperationException("the broker is not running");
        }

        using (var kill = Process.Start("kill", ["-9", running.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        await running.WaitForExitAsync();
        Append(string.Create(CultureInfo.InvariantCulture, $"--- broker killed with SIGKILL: pid {running.Id} ---"));
        running.Dispose();
        process = null;
    }

    /// <summary>SIGTERM, as systemd or an operator's <c>kill</c> sends it: the broker shuts down in order, and this
    /// waits until the process has exited.</summary>
    public async Task TerminateAsync()
    {
        if (process is not { HasExited: false } running)
        {
            throw new InvalidOperationException("the broker is not running");
        }

        using (var term = Process.Start("kill", ["-TERM", running.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync();
        }

        using var deadline = new CancellationTokenSource(StartTimeout);
        await running.WaitForExitAsync(deadline.Token);
        Append(string.Create(CultureInfo.InvariantCulture, $"--- broker stopped with SIGTERM: pid {running.Id}, exit code {running.ExitCode} ---"));
        running.Dispose();
        process = null;
    }

    public async ValueTask DisposeAsync()
    {
        if (process is { } running)
        {
            if (!running.HasExited)
            {
                running.Kill(entireProcessTree: true);
                await running.WaitForExitAsync();
            }

            running.Dispose();
        }
    }

    /// <summary>
    /// A port below the ephemeral range that no broker of this test run had before. A port the system hands out again
    /// could reach a later test's broker with a client an earlier test left behind (mosquitto_sub reconnects on its own),
    /// and count against that broker's limits.
    /// </summary>
    public static int FreePort()
    {
        while (true)
        {
            var port = Interlocked.Increment(ref lastPort);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException) when (port < FirstPort + PortsPerRun)
            {
                // Taken by something else: the next one.
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
