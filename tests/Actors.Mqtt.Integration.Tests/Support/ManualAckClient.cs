using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Formatter;

namespace Actors.Mqtt.Integration.Tests.Support;

/// <summary>
/// An MQTT 5 MQTTnet client that acknowledges nothing by itself: each received PUBLISH stays unacknowledged until the
/// test calls <see cref="MqttApplicationMessageReceivedEventArgs.AcknowledgeAsync"/> on it.
/// </summary>
public sealed class ManualAckClient : IAsyncDisposable
{
    private static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(10);
    private readonly Channel<MqttApplicationMessageReceivedEventArgs> received = Channel.CreateUnbounded<MqttApplicationMessageReceivedEventArgs>();

    private ManualAckClient(IMqttClient client)
    {
        Client = client;
        client.ApplicationMessageReceivedAsync += e =>
        {
            e.AutoAcknowledge = false;
            received.Writer.TryWrite(e);
            return Task.CompletedTask;
        };
    }

    public IMqttClient Client { get; }

    public static async Task<ManualAckClient> ConnectAsync(BrokerFixture broker, Action<MqttClientOptionsBuilder>? configure = null)
    {
        var test = new ManualAckClient(new MqttClientFactory().CreateMqttClient());
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", broker.Port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId("m-" + Guid.NewGuid().ToString("N")[..12])
            .WithTimeout(DefaultWait);
        configure?.Invoke(options);
        await test.Client.ConnectAsync(options.Build());
        return test;
    }

    /// <summary>The next message received, not yet acknowledged, or a failed test after <paramref name="wait"/>.</summary>
    public async Task<MqttApplicationMessageReceivedEventArgs> NextAsync(TimeSpan? wait = null)
    {
        using var deadline = new CancellationTokenSource(wait ?? DefaultWait);
        try
        {
            return await received.Reader.ReadAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no message within {wait ?? DefaultWait}");
        }
    }

    /// <summary>Waits <paramref name="wait"/> and fails if anything arrived.</summary>
    public async Task ExpectNothingAsync(TimeSpan? wait = null)
    {
        await Task.Delay(wait ?? TimeSpan.FromMilliseconds(750));
        Assert.False(received.Reader.TryRead(out var e), $"unexpected message: {(e is null ? "" : TestClient.Text(e.ApplicationMessage))}");
    }

    public async ValueTask DisposeAsync()
    {
        if (Client.IsConnected)
        {
            await Client.DisconnectAsync();
        }

        Client.Dispose();
    }
}
