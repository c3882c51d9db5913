using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Actors.Mqtt.Integration.Tests.Support;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Actors.Mqtt.Integration.Tests.Listeners;

/// <summary>
/// MQTT.js (npm <c>mqtt</c>) in headless Chromium over WS and WSS, with an MQTTnet client on TCP seeing the same
/// messages both ways.
/// </summary>
/// <remarks>
/// For WSS, Chromium trusts exactly the test server's key through <c>--ignore-certificate-errors-spki-list</c> (with
/// its own profile, which that switch requires), not through <c>--ignore-certificate-errors</c>: any other certificate
/// is still refused.
/// </remarks>
public sealed class BrowserWebSocketTests(ListenersBroker broker) : IClassFixture<ListenersBroker>, IAsyncLifetime
{
    private BrowserPage page = null!;
    private Chromium chromium = null!;

    public async Task InitializeAsync()
    {
        page = await BrowserPage.StartAsync();
        chromium = await Chromium.LaunchAsync($"--ignore-certificate-errors-spki-list={ServerKeyPin()}");
    }

    public async Task DisposeAsync()
    {
        await chromium.DisposeAsync();
        await page.DisposeAsync();
    }

    [Theory]
    [InlineData("ws", 4)]
    [InlineData("wss", 5)]
    public async Task MQTT_js_in_Chromium_and_a_TCP_client_exchange_messages_both_ways(string listener, int protocolVersion)
    {
        var topic = $"browser/{listener}/{Guid.NewGuid():N}";
        var scheme = listener == "wss" ? "wss://localhost" : "ws://127.0.0.1";
        var url = $"{scheme}:{broker.PortOf(listener)}/mqtt";
        await using var tcp = await TestClient.ConnectAsync(broker.Broker, MqttProtocolVersion.V500);
        await tcp.SubscribeAsync($"{topic}/up", MqttQualityOfServiceLevel.AtLeastOnce);
        var session = await chromium.OpenAsync(page.Url.ToString());

        var ready = await chromium.EvaluateAsync(session, $$"""
            (async () => {
              const client = mqtt.connect({{Js(url)}}, { clientId: {{Js("js-" + Guid.NewGuid().ToString("N")[..10])}}, protocolVersion: {{protocolVersion}}, reconnectPeriod: 0, connectTimeout: 30000 });
              window.mqttClient = client;
              await new Promise((resolve, reject) => {
                client.once('connect', resolve);
                client.once('error', reject);
                client.once('close', () => reject(new Error('closed before CONNACK')));
              });
              window.received = new Promise(resolve => client.on('message', (topic, payload) => resolve(topic + ' ' + payload.toString())));
              await client.subscribeAsync({{Js(topic + "/down")}}, { qos: 1 });
              await client.publishAsync({{Js(topic + "/up")}}, 'from the browser', { qos: 1 });
              return 'subscribed and published';
            })()
            """);
        Assert.Equal("subscribed and published", ready);
        var fromBrowser = await tcp.NextAsync();
        await tcp.PublishAsync($"{topic}/down", "from tcp", MqttQualityOfServiceLevel.AtLeastOnce);
        var inBrowser = await chromium.EvaluateAsync(session, "window.received");

        Assert.Equal(($"{topic}/up", "from the browser"), (fromBrowser.Topic, TestClient.Text(fromBrowser)));
        Assert.Equal($"{topic}/down from tcp", inBrowser);
        await chromium.EvaluateAsync(session, "new Promise(resolve => window.mqttClient.end(false, {}, () => resolve('ended')))");
    }

    private static string Js(string value) => JsonSerializer.Serialize(value);

    /// <summary>The base64 SHA-256 of the server certificate's public key, as Chromium's SPKI list takes it.</summary>
    private string ServerKeyPin()
    {
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(broker.Certificates.ServerCertificateFile));
        return Convert.ToBase64String(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
    }
}
