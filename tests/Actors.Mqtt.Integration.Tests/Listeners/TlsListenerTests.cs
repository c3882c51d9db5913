using System.Globalization;
using System.Security.Authentication;
using Actors.Mqtt.Integration.Tests.Support;
using MQTTnet.Formatter;

namespace Actors.Mqtt.Integration.Tests.Listeners;

/// <summary>MQTT over TLS 1.2 and 1.3 with MQTTnet and mosquitto_pub/sub, on PEM and PFX certificates made for the run.</summary>
public class TlsListenerTests(ListenersBroker broker) : IClassFixture<ListenersBroker>
{
    [Theory]
    [InlineData("tls", SslProtocols.Tls12)]
    [InlineData("tls", SslProtocols.Tls13)]
    [InlineData("tls-pfx", SslProtocols.Tls12)]
    [InlineData("tls-pfx", SslProtocols.Tls13)]
    public async Task A_client_over_TLS_and_a_client_over_TCP_exchange_messages_both_ways(string listener, SslProtocols protocol)
    {
        var topic = $"tls/{listener}/{protocol}/{Guid.NewGuid():N}";
        await using var tcp = await TestClient.ConnectAsync(broker.Broker, MqttProtocolVersion.V500);
        // The client offers only one protocol version, so a connection proves the listener speaks it.
        await using var tls = await TestClient.ConnectAsync(
            broker.Broker,
            MqttProtocolVersion.V311,
            configure: o => TlsClient.Configure(o, broker.Certificates, broker.PortOf(listener), protocol));
        await tcp.SubscribeAsync($"{topic}/up");
        await tls.SubscribeAsync($"{topic}/down");

        await tls.PublishAsync($"{topic}/up", "from tls");
        await tcp.PublishAsync($"{topic}/down", "from tcp");

        Assert.Equal("from tls", TestClient.Text(await tcp.NextAsync()));
        Assert.Equal("from tcp", TestClient.Text(await tls.NextAsync()));
    }

    [Fact]
    public async Task A_plain_TCP_client_gets_no_MQTT_session_on_the_TLS_port()
    {
        await Assert.ThrowsAnyAsync<Exception>(() => TestClient.ConnectAsync(
            broker.Broker,
            MqttProtocolVersion.V311,
            configure: o => o.WithTcpServer("127.0.0.1", broker.PortOf("tls")).WithTimeout(TimeSpan.FromSeconds(5))));
    }

    [Fact]
    public async Task Mosquitto_pub_and_sub_with_cafile_exchange_a_message_over_TLS()
    {
        var topic = $"tls/mosquitto/{Guid.NewGuid():N}";
        var port = broker.PortOf("tls").ToString(CultureInfo.InvariantCulture);
        string[] tls = ["-h", "127.0.0.1", "-p", port, "--cafile", broker.Certificates.CaFile, "-V", "mqttv311"];
        var (output, errors) = await MosquittoRoundTrip.RunAsync(
            [.. tls, "-t", topic, "-C", "1", "-W", "10"],
            [.. tls, "-t", topic, "-m", "hello over tls"]);

        Assert.True(output.TrimEnd('\n') == "hello over tls", $"mosquitto_sub printed '{output}', errors: {errors}");
    }

    [Fact]
    public async Task Mosquitto_pub_without_the_CA_refuses_the_server()
    {
        var port = broker.PortOf("tls").ToString(CultureInfo.InvariantCulture);

        var (exitCode, _, _) = await Tools.RunAsync(
            "mosquitto_pub",
            TimeSpan.FromSeconds(30),
            "-h", "127.0.0.1", "-p", port, "--cafile", broker.Certificates.OtherCaFile, "-t", "t", "-m", "m");

        Assert.NotEqual(0, exitCode);
    }
}
