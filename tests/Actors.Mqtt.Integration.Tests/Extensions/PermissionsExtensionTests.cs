using Actors.Mqtt.Integration.Tests.Support;
using MQTTnet;
using MQTTnet.Protocol;

namespace Actors.Mqtt.Integration.Tests.Extensions;

/// <summary>
/// An operator's extension that gives each client its rules at CONNECT, as the ACL file does
/// (tests/Actors.Mqtt.TestExtensions, <c>OwnSubtreeExtension</c>: every device in <c>devices/ID/#</c>), loaded from its
/// built assembly: the connections hold TCP and WebSocket clients to them on publish, subscribe and delivery.
/// </summary>
public sealed class PermissionsExtensionTests
{
    [Fact]
    public async Task Rules_an_extension_gives_at_connect_hold_on_publish_subscribe_and_delivery()
    {
        await using var broker = await ExtensionBroker.StartAsync($$"""
            type = "Actors.Mqtt.TestExtensions.OwnSubtreeExtension, Actors.Mqtt.TestExtensions"
            assembly-path = {{ExtensionBroker.Quoted(ExtensionBroker.TestExtensionsAssembly)}}
            config { root = devices }
            """);
        await using var d1 = await broker.ConnectTcpAsync("d1");
        await using var d2 = await broker.ConnectWebSocketAsync("d2");

        var subscribed = await d1.Client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter("devices/#", MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter("devices/d2/#", MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());
        await d2.SubscribeAsync("devices/#", MqttQualityOfServiceLevel.AtLeastOnce);
        var foreign = await d2.PublishAsync("devices/d1/cmd", "from d2", MqttQualityOfServiceLevel.AtLeastOnce);
        var own = await d2.PublishAsync("devices/d2/telemetry", "from d2", MqttQualityOfServiceLevel.AtLeastOnce);
        await d1.PublishAsync("devices/d1/telemetry", "from d1", MqttQualityOfServiceLevel.AtLeastOnce);

        Assert.Equal(
            [MqttClientSubscribeResultCode.GrantedQoS1, MqttClientSubscribeResultCode.NotAuthorized],
            subscribed.Items.Select(i => i.ResultCode));
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, foreign.ReasonCode);
        Assert.Equal(MqttClientPublishReasonCode.Success, own.ReasonCode);

        // Each is subscribed to all of devices/#, and is delivered its own subtree only.
        Assert.Equal("devices/d1/telemetry", (await d1.NextAsync()).Topic);
        Assert.Equal("devices/d2/telemetry", (await d2.NextAsync()).Topic);
        await d1.ExpectNothingAsync();
        await d2.ExpectNothingAsync();
    }
}
