using System.Diagnostics;
using Actors.Mqtt.Server.Tests.Support;

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

    [Theory]
    [InlineData("password-file", "alice:$7$101$bad\n", 1)]
    [InlineData("acl-file", "user alice\ntopic read a/#\ntopic sometimes x\nbogus line\n", 4)]
    public async Task A_bad_password_or_acl_file_exits_with_2_and_names_file_and_line(string key, string contents, int line)
    {
        var path = Path.Combine(_directory, key);
        await File.WriteAllTextAsync(path, contents);

        var (exitCode, _, stderr) = await RunAsync("--set", $"actors-mqtt.auth.{key}={path}", "--set", "actors-mqtt.listeners.tcp.port=0");

        Assert.Equal(2, exitCode);
        Assert.Contains($"{path}:{line}:", stderr, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("spec", "MQTT-3.1.4-2")]
    public async Task A_wrong_password_is_one_warning_without_the_password_and_SIGHUP_reloads_without_stopping()
    {
        var passwords = Path.Combine(_directory, "passwd");
        using (var passwd = Process.Start("mosquitto_passwd", ["-c", "-b", passwords, "alice", "right-pw"]))
        {
            await passwd.WaitForExitAsync();
            Assert.Equal(0, passwd.ExitCode);
        }

        var port = FreePort();
        using var process = Start(
            "--set", "actors-mqtt.log.format=json",
            "--set", $"actors-mqtt.listeners.tcp.port={port}",
            "--set", "actors-mqtt.listeners.tcp.host=127.0.0.1",
            "--set", $"actors-mqtt.auth.password-file={passwords}",
            "--set", "actors-mqtt.auth.allow-anonymous=false");
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var reloaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reading = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                lines.Enqueue(line);
                if (line.Contains("reloaded", StringComparison.Ordinal))
                {
                    reloaded.TrySetResult();
                }
            }
        });
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            using (var client = await ConnectWithRetryAsync(port))
            {
                // MQTT 3.1.1 CONNECT as "auth-client", user "alice", password "wrong-secret".
                var stream = client.GetStream();
                await stream.WriteAsync(Convert.FromHexString("102C00044D51545404C2003C000B617574682D636C69656E740005616C696365000C77726F6E672D736563726574"));
                var connAck = new byte[4];
                await stream.ReadExactlyAsync(connAck);
                Assert.Equal(new byte[] { 0x20, 0x02, 0x00, 0x04 }, connAck);
                Assert.Equal(0, await stream.ReadAsync(new byte[1]));
            }

            using (var hangUp = Process.Start("kill", ["-HUP", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await hangUp.WaitForExitAsync();
            }

            await reloaded.Task.WaitAsync(TimeSpan.FromMinutes(1));
            Assert.False(process.HasExited);

            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await process.WaitForExitAsync(deadline.Token);
            await reading;
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        var output = string.Join('\n', lines);
        Assert.DoesNotContain("wrong-secret", output + await stderr, StringComparison.Ordinal);
        var line = Assert.Single(lines, l => l.Contains("auth-client", StringComparison.Ordinal));
        Assert.Contains("\"Level\":\"Warning\"", line, StringComparison.Ordinal);
        Assert.Contains("\"UserName\":\"alice\"", line, StringComparison.Ordinal);
        Assert.Contains("\"Reason\":\"wrong password\"", line, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:", line, StringComparison.Ordinal);
        Assert.Contains(lines, l => l.Contains("reloaded", StringComparison.Ordinal) && l.Contains(passwords, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_passwd_command_adds_and_deletes_users_as_dollar7_entries()
    {
        var path = Path.Combine(_directory, "passwd");
        var (exitCode, _, stderr) = await RunAsync("passwd", path, "alice", "--password", "pw-1");
        Assert.True(exitCode == 0, stderr);
        (exitCode, _, stderr) = await RunAsync("passwd", path, "bob", "--password", "pw-2");
        Assert.True(exitCode == 0, stderr);
        (exitCode, _, stderr) = await RunAsync("passwd", "--delete", path, "alice");
        Assert.True(exitCode == 0, stderr);

        var lines = await File.ReadAllLinesAsync(path);
        var bob = Assert.Single(lines);
        Assert.Matches(@"^bob:\$7\$101\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$", bob);
        (exitCode, _, _) = await RunAsync("passwd", "--delete", path, "alice");
        Assert.Equal(1, exitCode);
    }

    [Fact]
    public async Task A_missing_certificate_file_exits_with_2_and_names_the_key()
    {
        var path = Path.Combine(_directory, "absent.pem");

        var (exitCode, stdout, stderr) = await RunAsync(
            "--set", "actors-mqtt.listeners.tcp.port=0",
            "--set", "actors-mqtt.listeners.tls.port=0",
            "--set", $"actors-mqtt.listeners.tls.certificate={path}");

        Assert.Equal(2, exitCode);
        Assert.Contains("actors-mqtt.listeners.tls.certificate", stderr, StringComparison.Ordinal);
        Assert.Contains(path, stderr, StringComparison.Ordinal);
        Assert.Empty(stdout);
    }

    [Fact]
    public async Task A_good_config_starts_the_broker_which_answers_CONNECT_and_stops_cleanly_on_SIGTERM()
    {
        var port = FreePort();
        using var process = Start("--set", $"actors-mqtt.listeners.tcp.port={port}", "--set", "actors-mqtt.listeners.tcp.host=127.0.0.1");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            using var client = await ConnectWithRetryAsync(port);
            var stream = client.GetStream();

            // MQTT 3.1.1 CONNECT, client id "p", clean session, keep alive 60.
            await stream.WriteAsync(new byte[] { 0x10, 0x0D, 0x00, 0x04, 0x4D, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3C, 0x00, 0x01, 0x70 });
            var connAck = new byte[4];
            await stream.ReadExactlyAsync(connAck);
            Assert.Equal(new byte[] { 0x20, 0x02, 0x00, 0x00 }, connAck);

            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await process.WaitForExitAsync(deadline.Token);
            Assert.Equal(0, process.ExitCode);

            // The broker closed the connection on its way out.
            Assert.Equal(0, await stream.ReadAsync(new byte[1]));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        Assert.DoesNotContain("Unhandled", await stderr + await stdout, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("spec", "MQTT-4.13.1-1")]
    public async Task A_malformed_packet_closes_its_connection_with_one_warning_naming_client_address_and_reason()
    {
        var port = FreePort();
        using var process = Start("--set", $"actors-mqtt.listeners.tcp.port={port}", "--set", "actors-mqtt.listeners.tcp.host=127.0.0.1");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        int localPort;
        try
        {
            using var client = await ConnectWithRetryAsync(port);
            localPort = ((System.Net.IPEndPoint)client.Client.LocalEndPoint!).Port;
            var stream = client.GetStream();

            // MQTT 3.1.1 CONNECT as "bad-client", then a PUBLISH with QoS 3, which is malformed [MQTT-3.3.1-4].
            await stream.WriteAsync(new byte[] { 0x10, 0x16, 0x00, 0x04, 0x4D, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3C, 0x00, 0x0A, 0x62, 0x61, 0x64, 0x2D, 0x63, 0x6C, 0x69, 0x65, 0x6E, 0x74 });
            var connAck = new byte[4];
            await stream.ReadExactlyAsync(connAck);
            await stream.WriteAsync(new byte[] { 0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01 });
            Assert.Equal(0, await stream.ReadAsync(new byte[1]));

            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await process.WaitForExitAsync(deadline.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        // From start to a graceful stop every line has the default console format, Akka's last words at shutdown too.
        Assert.All(
            (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries),
            l => Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d\d:\d\d (INF|WRN) \S", l));
        var lines = (await stdout).Split('\n').Where(l => l.Contains("bad-client", StringComparison.Ordinal) && l.Contains("closed", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(lines);
        // One plain line, its values written into the sentence.
        Assert.Matches(
            $@"^\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{{3}} [+-]\d\d:\d\d WRN Client bad-client from 127\.0\.0\.1:{localPort} closed: ",
            line);
        Assert.Contains("0x81 MalformedPacket", line, StringComparison.Ordinal);
        Assert.Contains("MQTT-3.3.1-4", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled", await stderr, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<System.Net.Sockets.TcpClient> ConnectWithRetryAsync(int port)
    {
        for (var attempt = 0; ; attempt++)
        {
            var client = new System.Net.Sockets.TcpClient();
            try
            {
                await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
                return client;
            }
            catch (System.Net.Sockets.SocketException) when (attempt < 300)
            {
                client.Dispose();
                await Task.Delay(100);
            }
        }
    }

    private Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args) =>
        ServerProcess.RunAsync(_directory, args);

    private Process Start(params string[] args) => ServerProcess.Start(_directory, args);
}
