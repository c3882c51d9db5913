using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Actors.Mqtt.Server.Commands;

namespace Actors.Mqtt.Integration.Tests.Security;

/// <summary>A password file written by <c>actors-mqtt passwd</c>, read by the real Mosquitto broker (Debian package mosquitto).</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class MosquittoBrokerPasswordTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("mosquitto-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task Mosquitto_accepts_users_written_by_the_passwd_command_and_refuses_a_wrong_password()
    {
        var passwords = Path.Combine(folder, "passwd");
        Assert.Equal(0, await new RootCommand { PasswdCommand.Create() }.Parse(["passwd", passwords, "dora", "--password", "dora-pw"]).InvokeAsync());

        // Run as root, Mosquitto drops to its own user, which must be able to read the folder and both files.
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(passwords, (UnixFileMode)0b110_100_100);
        var port = FreePort();
        var config = Path.Combine(folder, "mosquitto.conf");
        await File.WriteAllTextAsync(config, $"listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {passwords}\n");
        File.SetUnixFileMode(config, (UnixFileMode)0b110_100_100);

        using var mosquitto = Start(File.Exists("/usr/sbin/mosquitto") ? "/usr/sbin/mosquitto" : "mosquitto", "-c", config);
        var log = mosquitto.StandardError.ReadToEndAsync();
        try
        {
            var accepted = await PublishWhenListeningAsync(port, "dora", "dora-pw");
            Assert.True(accepted == 0, $"mosquitto_pub exited with {accepted}; mosquitto: {(mosquitto.HasExited ? await log : "running")}");
            Assert.NotEqual(0, await PublishAsync(port, "dora", "wrong"));
        }
        finally
        {
            mosquitto.Kill();
            await mosquitto.WaitForExitAsync();
        }
    }

    /// <summary>Mosquitto says nothing when it listens; the first publication is retried until its port answers.</summary>
    private static async Task<int> PublishWhenListeningAsync(int port, string user, string password)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            using var probe = new TcpClient();
            try
            {
                await probe.ConnectAsync(IPAddress.Loopback, port, deadline.Token);
                break;
            }
            catch (SocketException)
            {
                await Task.Delay(100, deadline.Token);
            }
        }

        return await PublishAsync(port, user, password);
    }

    private static async Task<int> PublishAsync(int port, string user, string password)
    {
        using var pub = Start("mosquitto_pub", "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-u", user, "-P", password, "-t", "t", "-m", "m");
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await pub.WaitForExitAsync(deadline.Token);
        return pub.ExitCode;
    }

    private static Process Start(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
