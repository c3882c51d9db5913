using Actors.Mqtt.Integration.Tests.Support;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Actors.Mqtt.Integration.Tests.Security;

/// <summary>The password file and the ACL are the broker's, not a listener's: a WebSocket client meets the same rules.</summary>
public sealed class AclOnEveryListenerTests(SecuredBroker broker) : IClassFixture<SecuredBroker>
{
    [Fact]
    public async Task A_client_on_the_WebSocket_listener_is_authenticated_and_held_to_the_ACL()
    {
        await using var alice = await TestClient.ConnectAsync(
            MqttProtocolVersion.V500,
            o => o.WithWebSocketServer(w => w.WithUri($"ws://127.0.0.1:{broker.Broker.EndPointOf("ws").Port}/mqtt"))
                .WithCredentials("alice", "alice-pw"));

        var denied = await alice.Client.PublishAsync(Message("shared/secret"));
        var allowed = await alice.Client.PublishAsync(Message("alice/ws"));
        var subscribed = await alice.Client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter("bob/#", MqttQualityOfServiceLevel.AtLeastOnce)
            .WithTopicFilter("alice/#", MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, denied.ReasonCode);
        // Accepted; nobody subscribed to it.
        Assert.Equal(MqttClientPublishReasonCode.NoMatchingSubscribers, allowed.ReasonCode);
        Assert.Equal(
            [MqttClientSubscribeResultCode.NotAuthorized, MqttClientSubscribeResultCode.GrantedQoS1],
            subscribed.Items.Select(i => i.ResultCode));
    }

    [Fact]
    public async Task A_wrong_password_is_refused_on_the_WebSocket_listener_too()
    {
        await using var intruder = await TestClient.ConnectAsync(
            MqttProtocolVersion.V500,
            o => o.WithWebSocketServer(w => w.WithUri($"ws://127.0.0.1:{broker.Broker.EndPointOf("ws").Port}/mqtt"))
                .WithCredentials("alice", "wrong"));

        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, intruder.ConnectResult.ResultCode);
        Assert.False(intruder.Client.IsConnected);
    }

    private static MqttApplicationMessage Message(string topic) =>
        new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload("x").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
}
