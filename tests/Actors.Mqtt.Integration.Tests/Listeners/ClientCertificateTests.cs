using System.Globalization;
using Actors.Mqtt.Integration.Tests.Support;
using MQTTnet.Formatter;

namespace Actors.Mqtt.Integration.Tests.Listeners;

/// <summary>A TLS listener that requires client certificates from the test CA (<c>tls-mutual</c>).</summary>
public class ClientCertificateTests(ListenersBroker broker) : IClassFixture<ListenersBroker>
{
    [Fact]
    public async Task A_client_with_a_certificate_from_the_CA_connects_and_exchanges_messages()
    {
        var topic = $"mutual/{Guid.NewGuid():N}";
        using var certificate = TestCertificates.LoadClientCertificate(broker.Certificates.ClientCertificateFile, broker.Certificates.ClientKeyFile);
        await using var tcp = await TestClient.ConnectAsync(broker.Broker, MqttProtocolVersion.V500);
        await using var device = await TestClient.ConnectAsync(
            broker.Broker,
            MqttProtocolVersion.V500,
            configure: o => TlsClient.Configure(o, broker.Certificates, broker.PortOf("tls-mutual"), clientCertificate: certificate));
        await tcp.SubscribeAsync(topic);

        await device.PublishAsync(topic, "from a device with a certificate");

        Assert.Equal("from a device with a certificate", TestClient.Text(await tcp.NextAsync()));
    }

    [Fact]
    public async Task A_client_without_a_certificate_is_refused()
    {
        await Assert.ThrowsAnyAsync<Exception>(() => TestClient.ConnectAsync(
            broker.Broker,
            MqttProtocolVersion.V500,
            configure: o => TlsClient.Configure(o, broker.Certificates, broker.PortOf("tls-mutual"))));
    }

    [Fact]
    public async Task A_client_with_a_certificate_from_another_CA_is_refused()
    {
        using var foreign = TestCertificates.LoadClientCertificate(
            broker.Certificates.ForeignClientCertificateFile,
            broker.Certificates.ForeignClientKeyFile);

        await Assert.ThrowsAnyAsync<Exception>(() => TestClient.ConnectAsync(
            broker.Broker,
            MqttProtocolVersion.V500,
            configure: o => TlsClient.Configure(o, broker.Certificates, broker.PortOf("tls-mutual"), clientCertificate: foreign)));
    }

    [Fact]
    public async Task Mosquitto_clients_with_cert_and_key_exchange_a_message_and_without_them_are_refused()
    {
        var c = broker.Certificates;
        var topic = $"mutual/mosquitto/{Guid.NewGuid():N}";
        var port = broker.PortOf("tls-mutual").ToString(CultureInfo.InvariantCulture);
        string[] server = ["-h", "127.0.0.1", "-p", port, "--cafile", c.CaFile];
        string[] identity = ["--cert", c.ClientCertificateFile, "--key", c.ClientKeyFile];

        var (output, errors) = await MosquittoRoundTrip.RunAsync(
            [.. server, .. identity, "-t", topic, "-C", "1", "-W", "10"],
            [.. server, .. identity, "-t", topic, "-m", "hello with a client certificate"]);
        var (refusedExit, _, _) = await Tools.RunAsync("mosquitto_pub", TimeSpan.FromSeconds(30), [.. server, "-t", topic, "-m", "no certificate"]);

        Assert.True(output.TrimEnd('\n') == "hello with a client certificate", $"mosquitto_sub printed '{output}', errors: {errors}");
        Assert.NotEqual(0, refusedExit);
    }
}
