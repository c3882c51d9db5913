using Actors.Mqtt.Integration.Tests.Support;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Actors.Mqtt.Integration.Tests.Bridges;

/// <summary>A bridge over TLS to a Mosquitto listener that asks for a client certificate of the test authority.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class BridgeTlsTests : IAsyncLifetime, IDisposable
{
    private readonly TestCertificates certificates = new();
    private readonly string folder = Directory.CreateTempSubdirectory("bridge-tls-").FullName;
    private MosquittoServer mosquitto = null!;
    private BrokerFixture? broker;

    public async Task InitializeAsync() => mosquitto = await MosquittoServer.StartAsync(certificates);

    public async Task DisposeAsync()
    {
        if (broker is not null)
        {
            await broker.DisposeAsync();
        }

        await mosquitto.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }

    /// <summary>After <see cref="DisposeAsync"/>, once Mosquitto no longer reads the files.</summary>
    public void Dispose() => certificates.Dispose();

    [Fact]
    public async Task A_bridge_trusts_the_remote_by_its_CA_file_and_logs_in_with_its_client_certificate()
    {
        var clientId = "bridge-" + Guid.NewGuid().ToString("N")[..8];
        var config = Path.Combine(folder, "broker.conf");
        await File.WriteAllTextAsync(config, $$"""
            actors-mqtt.bridges.secure {
              address = "127.0.0.1:{{mosquitto.TlsPort}}"
              client-id = "{{clientId}}"
              restart-timeout-base = 100ms
              tls {
                ca-file = "{{certificates.CaFile}}"
                certificate = "{{certificates.ClientCertificateFile}}"
                private-key = "{{certificates.ClientKeyFile}}"
              }
              topics = [ { pattern = "secure/#", direction = out, qos = 1 } ]
            }
            """);
        broker = new BrokerFixture { ConfigFile = config };
        await broker.InitializeAsync();
        await using var remote = await TestClient.ConnectAsync(MqttProtocolVersion.V311, o => o.WithTcpServer("127.0.0.1", mosquitto.Port));
        await remote.SubscribeAsync("secure/#", MqttQualityOfServiceLevel.AtLeastOnce);
        await mosquitto.WaitForLogAsync("as " + clientId);

        await using var local = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V311);
        await local.PublishAsync("secure/a", "over tls", MqttQualityOfServiceLevel.AtLeastOnce);

        var message = await remote.NextAsync();
        Assert.Equal(("secure/a", "over tls"), (message.Topic, TestClient.Text(message)));
    }
}
