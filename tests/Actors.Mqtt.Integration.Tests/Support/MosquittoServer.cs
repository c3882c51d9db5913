using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Actors.Mqtt.Integration.Tests.Support;

/// <summary>
/// The real Mosquitto broker (Debian package mosquitto) on a free loopback port, with persistence in a folder of its
/// own (saved each second as well), so that it can be stopped, frozen or killed and started again on the same port and
/// state. It publishes its $SYS topics each second.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class MosquittoServer : IAsyncDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("mosquitto-").FullName;
    private readonly StringBuilder log = new();
    private Process? process;

    private readonly TestCertificates? tls;

    private readonly string? passwordFile;

    private MosquittoServer(int port, TestCertificates? tls, string? passwordFile)
    {
        Port = port;
        this.tls = tls;
        this.passwordFile = passwordFile;
        TlsPort = tls is null ? 0 : FreePort();
    }

    /// <summary>The plain TCP listener's port.</summary>
    public int Port { get; }

    /// <summary>A second listener's, for TLS with a client certificate of the test authority; 0 when there is none.</summary>
    public int TlsPort { get; }

    /// <summary>What Mosquitto wrote, for a failing test's message.</summary>
    public string Log
    {
        get
        {
            lock (log)
            {
                return log.ToString();
            }
        }
    }

    /// <param name="tls">Certificates for a TLS listener besides the plain one (see <see cref="TlsPort"/>).</param>
    /// <param name="passwordFile">A password file (readable by the mosquitto user) that every client must log in by;
    /// null lets anyone in. Read again at each start.</param>
    public static async Task<MosquittoServer> StartAsync(TestCertificates? tls = null, string? passwordFile = null)
    {
        var server = new MosquittoServer(FreePort(), tls, passwordFile);
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts it (again) on its port and returns once it accepts connections.</summary>
    public async Task StartAgainAsync()
    {
        // Run as root, Mosquitto drops to its own user, which must read the configuration and write the state.
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_111_111);
        var config = Path.Combine(folder, "mosquitto.conf");
        await File.WriteAllTextAsync(config, string.Create(
            CultureInfo.InvariantCulture,
            $"listener {Port} 127.0.0.1\n{(passwordFile is null ? "allow_anonymous true" : $"allow_anonymous false\npassword_file {passwordFile}")}\npersistence true\npersistence_location {folder}/\nautosave_interval 1\nsys_interval 1\nlog_type all\n"));
        if (tls is not null)
        {
            // Mosquitto reads the certificate files as its own user.
            File.SetUnixFileMode(tls.Directory, (UnixFileMode)0b111_101_101);
            foreach (var file in new[] { tls.CaFile, tls.ServerCertificateFile, tls.ServerKeyFile })
            {
                File.SetUnixFileMode(file, (UnixFileMode)0b110_100_100);
            }

            await File.AppendAllTextAsync(config, string.Create(
                CultureInfo.InvariantCulture,
                $"listener {TlsPort} 127.0.0.1\ncafile {tls.CaFile}\ncertfile {tls.ServerCertificateFile}\nkeyfile {tls.ServerKeyFile}\nrequire_certificate true\n"));
        }

        File.SetUnixFileMode(config, (UnixFileMode)0b110_100_100);
        var started = Tools.Start(File.Exists("/usr/sbin/mosquitto") ? "/usr/sbin/mosquitto" : "mosquitto", "-c", config);
        started.ErrorDataReceived += (_, e) => Append(e.Data);
        started.OutputDataReceived += (_, e) => Append(e.Data);
        started.BeginErrorReadLine();
        started.BeginOutputReadLine();
        process = started;

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            using var probe = new TcpClient();
            try
            {
                await probe.ConnectAsync(IPAddress.Loopback, Port, deadline.Token);
                return;
            }
            catch (SocketException) when (!started.HasExited)
            {
                await Task.Delay(50, deadline.Token);
            }
            catch (SocketException)
            {
                throw new InvalidOperationException($"mosquitto exited with {started.ExitCode}: {Log}");
            }
        }
    }

    /// <summary>Waits until Mosquitto logged <paramref name="text"/> (it logs every packet: log_type all) after the
    /// first <paramref name="from"/> characters of its log.</summary>
    public async Task WaitForLogAsync(string text, int from = 0, TimeSpan? wait = null)
    {
        using var deadline = new CancellationTokenSource(wait ?? TimeSpan.FromSeconds(30));
        while (Log.IndexOf(text, from, StringComparison.Ordinal) < 0)
        {
            try
            {
                await Task.Delay(50, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"mosquitto did not log '{text}': {Log}");
            }
        }
    }

    /// <summary>SIGTERM: Mosquitto closes its connections and writes its state before it ends.</summary>
    public Task StopAsync() => EndAsync("-TERM");

    /// <summary>SIGKILL: what it received since its last save is gone, and its connections are cut.</summary>
    public Task KillAsync() => EndAsync("-KILL");

    /// <summary>SIGSTOP: it reads and answers nothing, while its connections stay open.</summary>
    public async Task FreezeAsync()
    {
        using var stop = Process.Start("kill", ["-STOP", (process ?? throw new InvalidOperationException("mosquitto is not running")).Id.ToString(CultureInfo.InvariantCulture)]);
        await stop.WaitForExitAsync();
    }

    private async Task EndAsync(string signal)
    {
        if (Interlocked.Exchange(ref process, null) is not { } running)
        {
            return;
        }

        using (var kill = Process.Start("kill", [signal, running.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        await running.WaitForExitAsync();
        running.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(folder, recursive: true);
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (log)
            {
                log.AppendLine(line);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
