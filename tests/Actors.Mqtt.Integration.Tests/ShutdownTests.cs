using Actors.Mqtt.Integration.Tests.Support;
using MQTTnet;
using MQTTnet.Formatter;

namespace Actors.Mqtt.Integration.Tests;

/// <summary>Stopping the server (Ctrl-C, SIGTERM) closes every connection, telling MQTT 5 clients why.</summary>
public class ShutdownTests
{
    [Fact]
    public async Task Stopping_the_server_sends_MQTT5_clients_DISCONNECT_server_shutting_down()
    {
        var broker = new BrokerFixture();
        await broker.InitializeAsync();
        await using var v5 = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V500);
        await using var v311 = await TestClient.ConnectAsync(broker, MqttProtocolVersion.V311);

        await broker.DisposeAsync();

        var v5Disconnect = await v5.Disconnected.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(MqttClientDisconnectReason.ServerShuttingDown, v5Disconnect.Reason);
        await v311.Disconnected.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
