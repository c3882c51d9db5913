using System.Text.Json;
using Actors.Mqtt.Integration.Tests.Support;
using MQTTnet;
using MQTTnet.Protocol;

namespace Actors.Mqtt.Integration.Tests.Extensions;

/// <summary>
/// The sample extension (samples/Company.Audit) loaded from its built assembly through an <c>actors-mqtt.extensions</c>
/// entry: its audit lines, and its denial of <c>secret/#</c> to clients on either listener.
/// </summary>
public sealed class AuditExtensionTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly string[] SummaryProperties = ["event", "action", "topic", "filter"];
    private ExtensionBroker broker = null!;

    private string AuditFile => Path.Combine(broker.Folder, "audit.jsonl");

    public async Task InitializeAsync() => broker = await ExtensionBroker.StartAsync($$"""
        type = "Company.Audit.AuditExtension, Company.Audit"
        assembly-path = {{ExtensionBroker.Quoted(ExtensionBroker.AuditAssembly)}}
        config { file = "{folder}/audit.jsonl", deny-topic = "secret/#" }
        """);

    public async Task DisposeAsync() => await broker.DisposeAsync();

    [Fact]
    public async Task A_clients_events_are_written_in_the_order_they_happened()
    {
        await using var client = await broker.ConnectTcpAsync("audited");
        await client.SubscribeAsync("audit/#", MqttQualityOfServiceLevel.AtLeastOnce);
        await client.PublishAsync("audit/a", "hello", MqttQualityOfServiceLevel.AtLeastOnce, retain: false);
        await client.NextAsync();
        await client.Client.UnsubscribeAsync("audit/#");
        await client.Client.DisconnectAsync();

        var lines = await LinesOfAsync("audited", until: "disconnected");

        Assert.Equal(["connected", "subscribed", "published", "unsubscribed", "disconnected"], lines.Select(l => l.GetProperty("event").GetString()));
        var published = lines[2];
        Assert.Equal("audit/a", published.GetProperty("topic").GetString());
        Assert.Equal(1, published.GetProperty("qos").GetInt32());
        Assert.False(published.GetProperty("retain").GetBoolean());
        Assert.Equal(5, published.GetProperty("bytes").GetInt32());
        Assert.DoesNotContain("hello", await File.ReadAllTextAsync(AuditFile), StringComparison.Ordinal);
        Assert.Equal("audit/#", lines[1].GetProperty("filter").GetString());
        Assert.Equal("tcp", lines[0].GetProperty("listener").GetString());
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ws")]
    public async Task A_client_may_neither_publish_to_nor_subscribe_within_the_denied_topic(string listener)
    {
        var clientId = "denied-" + listener;
        await using var client = listener == "tcp" ? await broker.ConnectTcpAsync(clientId) : await broker.ConnectWebSocketAsync(clientId);

        var published = await client.Client.PublishAsync(Message("secret/plans"));
        var subscribed = await client.Client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter("secret/+", MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter("public/#", MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, published.ReasonCode);
        Assert.Equal(
            [MqttClientSubscribeResultCode.NotAuthorized, MqttClientSubscribeResultCode.GrantedQoS1],
            subscribed.Items.Select(i => i.ResultCode));
        var lines = await LinesOfAsync(clientId, until: "subscribed");
        Assert.Equal(
            ["connected", "denied Publish secret/plans", "dropped secret/plans", "denied Subscribe secret/+", "subscribed public/#"],
            lines.Select(Summary));
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ws")]
    public async Task A_message_to_the_denied_topic_never_reaches_a_subscriber(string listener)
    {
        await using var subscriber = await broker.ConnectTcpAsync();
        await subscriber.SubscribeAsync("#", MqttQualityOfServiceLevel.AtLeastOnce);
        await using var publisher = listener == "tcp" ? await broker.ConnectTcpAsync() : await broker.ConnectWebSocketAsync();

        await publisher.PublishAsync("secret/plans", "at most once");
        await publisher.Client.PublishAsync(Message("secret/plans"));
        await publisher.PublishAsync("public/news", "after", MqttQualityOfServiceLevel.AtLeastOnce);

        // From one publisher messages arrive in order, so a denied one that got through would have come first.
        var first = await subscriber.NextAsync();
        Assert.Equal("public/news", first.Topic);
    }

    /// <summary>What a line says, in a few words: "denied Publish secret/plans".</summary>
    private static string Summary(JsonElement line) =>
        string.Join(' ', SummaryProperties.Select(p => line.TryGetProperty(p, out var value) ? value.GetString() : null).OfType<string>());

    private static MqttApplicationMessage Message(string topic) =>
        new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload("x").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();

    /// <summary>The audit lines of <paramref name="clientId"/>, once the line of the event <paramref name="until"/> is written.</summary>
    private async Task<List<JsonElement>> LinesOfAsync(string clientId, string until)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        while (true)
        {
            // The text after the last newline is a line still being written, or nothing.
            var text = File.Exists(AuditFile) ? await File.ReadAllTextAsync(AuditFile, deadline.Token) : "";
            var lines = text.Split('\n')[..^1]
                .Select(l => JsonDocument.Parse(l).RootElement)
                .Where(l => l.GetProperty("client").GetString() == clientId)
                .ToList();
            if (lines.Any(l => l.GetProperty("event").GetString() == until))
            {
                return lines;
            }

            await Task.Delay(100, deadline.Token);
        }
    }
}
