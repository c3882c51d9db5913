using System.Text;
using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Actors.Mqtt.Integration.Tests.Support;

/// <summary>
/// An MQTTnet client against the broker under test, collecting what it receives so tests can wait for messages
/// (with a deadline) or make sure none came.
/// </summary>
public sealed class TestClient : IAsyncDisposable
{
    private static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(10);
    private readonly Channel<MqttApplicationMessage> received = Channel.CreateUnbounded<MqttApplicationMessage>();
    private readonly TaskCompletionSource<MqttClientDisconnectedEventArgs> disconnected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private TestClient(IMqttClient client)
    {
        Client = client;
        client.ApplicationMessageReceivedAsync += e =>
        {
            received.Writer.TryWrite(e.ApplicationMessage);
            return Task.CompletedTask;
        };
        client.DisconnectedAsync += e =>
        {
            disconnected.TrySetResult(e);
            return Task.CompletedTask;
        };
    }

    public IMqttClient Client { get; }

    public MqttClientConnectResult ConnectResult { get; private set; } = null!;

    /// <summary>Completes when the broker (or the network) ends the connection.</summary>
    public Task<MqttClientDisconnectedEventArgs> Disconnected => disconnected.Task;

    public static Task<TestClient> ConnectAsync(
        BrokerFixture broker,
        MqttProtocolVersion version,
        string? clientId = null,
        Action<MqttClientOptionsBuilder>? configure = null) =>
        ConnectAsync(
            version,
            options =>
            {
                options.WithTcpServer("127.0.0.1", broker.Port);
                configure?.Invoke(options);
            },
            clientId);

    /// <summary>Connects over the transport <paramref name="configure"/> sets up (MQTTnet keeps TLS on TCP once a TCP
    /// server was named, so a WebSocket client must never have had one).</summary>
    public static async Task<TestClient> ConnectAsync(
        MqttProtocolVersion version,
        Action<MqttClientOptionsBuilder> configure,
        string? clientId = null)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var client = new MqttClientFactory().CreateMqttClient();
        var test = new TestClient(client);
        var options = new MqttClientOptionsBuilder()
            .WithProtocolVersion(version)
            .WithClientId(clientId ?? "t-" + Guid.NewGuid().ToString("N")[..12])
            .WithTimeout(DefaultWait);
        configure(options);
        test.ConnectResult = await client.ConnectAsync(options.Build());
        return test;
    }

    public Task SubscribeAsync(string filter, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtMostOnce) =>
        Client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter, qos).Build());

    public Task<MqttClientPublishResult> PublishAsync(string topic, string payload, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtMostOnce, bool retain = false) =>
        Client.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(qos)
            .WithRetainFlag(retain)
            .Build());

    /// <summary>The next message received, or a failed test after <paramref name="wait"/>.</summary>
    public async Task<MqttApplicationMessage> NextAsync(TimeSpan? wait = null)
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
        await Task.Delay(wait ?? TimeSpan.FromMilliseconds(500));
        Assert.False(received.Reader.TryRead(out var message), $"unexpected message on {message?.Topic}: {(message is null ? "" : Text(message))}");
    }

    public static string Text(MqttApplicationMessage message) => Encoding.UTF8.GetString(message.Payload);

    public async ValueTask DisposeAsync()
    {
        if (Client.IsConnected)
        {
            await Client.DisconnectAsync();
        }

        Client.Dispose();
    }
}
