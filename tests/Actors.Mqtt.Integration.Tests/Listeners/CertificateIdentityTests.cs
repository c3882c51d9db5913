using System.Diagnostics;
using System.Text.Json;
using Actors.Mqtt.Integration.Tests.Support;
using MQTTnet.Formatter;

namespace Actors.Mqtt.Integration.Tests.Listeners;

/// <summary>
/// <c>use-identity-as-username</c> on the built executable: its log line for the connection names the certificate's
/// common name as the user, not the user name the client put in CONNECT.
/// </summary>
public sealed class CertificateIdentityTests : IDisposable
{
    private readonly TestCertificates certificates = new();

    public void Dispose() => certificates.Dispose();

    [Fact]
    public async Task The_client_certificates_common_name_becomes_the_user_name()
    {
        const string tls = "actors-mqtt.listeners.tls";
        using var server = StartServer(
            "--set", "actors-mqtt.log.format=json",
            "--set", "actors-mqtt.listeners.tcp.host=127.0.0.1",
            "--set", "actors-mqtt.listeners.tcp.port=0",
            "--set", $"{tls}.host=127.0.0.1",
            "--set", $"{tls}.port=0",
            "--set", $"{tls}.certificate={certificates.ServerCertificateFile}",
            "--set", $"{tls}.private-key={certificates.ServerKeyFile}",
            "--set", $"{tls}.ca-file={certificates.CaFile}",
            "--set", $"{tls}.require-client-certificate=true",
            "--set", $"{tls}.use-identity-as-username=true");
        using var lines = new LogLines(server.Process);
        try
        {
            var listening = await lines.WaitForAsync(l => l.Template == "Listening for MQTT on {Listener} {EndPoint}" && l.Property("Listener") == "tls");
            var port = int.Parse(listening.Property("EndPoint")!.Split(':')[^1], System.Globalization.CultureInfo.InvariantCulture);
            var clientId = "cn-" + Guid.NewGuid().ToString("N")[..8];
            using var certificate = TestCertificates.LoadClientCertificate(certificates.ClientCertificateFile, certificates.ClientKeyFile);

            await using (await TestClient.ConnectAsync(
                MqttProtocolVersion.V311,
                o => TlsClient.Configure(o.WithCredentials("claimed-user", "pw"), certificates, port, clientCertificate: certificate),
                clientId))
            {
                var connected = await lines.WaitForAsync(l => l.Property("ClientId") == clientId && l.Template.Contains("connected from", StringComparison.Ordinal));

                Assert.Equal(TestCertificates.ClientCommonName, connected.Property("UserName"));
            }
        }
        finally
        {
            server.Stop();
        }
    }

    private static ServerProcess StartServer(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "actors-mqtt.dll"));

        // This test is about the user name, not durability: nothing of it should land in a journal of the test folder.
        start.ArgumentList.Add("--set");
        start.ArgumentList.Add("actors-mqtt.persistence.store=memory");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new ServerProcess(Process.Start(start)!);
    }

    private sealed class ServerProcess(Process process) : IDisposable
    {
        public Process Process => process;

        public void Stop()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        public void Dispose() => process.Dispose();
    }

    private sealed record LogLine(string Template, JsonElement Properties)
    {
        public string? Property(string name) =>
            Properties.ValueKind == JsonValueKind.Object && Properties.TryGetProperty(name, out var value)
                ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.ToString()
                : null;
    }

    /// <summary>The server's JSON log lines as they arrive on its standard output.</summary>
    private sealed class LogLines : IDisposable
    {
        private readonly List<LogLine> seen = [];
        private readonly List<string> raw = [];
        private readonly SemaphoreSlim arrived = new(0);

        public LogLines(Process process)
        {
            _ = process.StandardError.ReadToEndAsync();
            _ = Task.Run(async () =>
            {
                while (await process.StandardOutput.ReadLineAsync() is { } line)
                {
                    lock (seen)
                    {
                        raw.Add(line);
                        if (Parse(line) is { } parsed)
                        {
                            seen.Add(parsed);
                        }
                    }

                    try
                    {
                        arrived.Release();
                    }
                    catch (ObjectDisposedException)
                    {
                        // The test is over; the server's last lines are of no interest.
                        return;
                    }
                }
            });
        }

        public void Dispose() => arrived.Dispose();

        public async Task<LogLine> WaitForAsync(Func<LogLine, bool> match)
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (true)
            {
                lock (seen)
                {
                    if (seen.FirstOrDefault(match) is { } found)
                    {
                        return found;
                    }
                }

                try
                {
                    await arrived.WaitAsync(deadline.Token);
                }
                catch (OperationCanceledException)
                {
                    lock (seen)
                    {
                        throw new TimeoutException("expected log line not seen; the server wrote:\n" + string.Join('\n', raw));
                    }
                }
            }
        }

        private static LogLine? Parse(string line)
        {
            try
            {
                using var json = JsonDocument.Parse(line);
                var root = json.RootElement;
                return root.TryGetProperty("MessageTemplate", out var template)
                    ? new LogLine(template.GetString() ?? "", root.TryGetProperty("Properties", out var p) ? p.Clone() : default)
                    : null;
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }
}
