using System.Net;
using System.Net.WebSockets;
using System.Text;
using Actors.Mqtt.Integration.Tests.Support;
using MQTTnet.Formatter;

namespace Actors.Mqtt.Integration.Tests.Listeners;

/// <summary>MQTT over WebSocket and secure WebSocket, frame by frame from .NET's ClientWebSocket and with MQTTnet.</summary>
public class WebSocketListenerTests(ListenersBroker broker) : IClassFixture<ListenersBroker>
{
    // MQTT 3.1.1 CONNECT, client id "ws", clean session, keep alive 60.
    private static readonly byte[] Connect = [0x10, 0x0E, 0x00, 0x04, 0x4D, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3C, 0x00, 0x02, 0x77, 0x73];
    private static readonly byte[] ConnAckAccepted = [0x20, 0x02, 0x00, 0x00];

    [Fact]
    [Trait("spec", "MQTT-6.0.0-4")]
    public async Task The_broker_selects_the_mqtt_sub_protocol()
    {
        using var socket = await MqttWebSocket.ConnectAsync(Uri("ws"), null, "mqtt");

        Assert.Equal("mqtt", socket.Socket.SubProtocol);
    }

    [Fact]
    [Trait("spec", "MQTT-6.0.0-3")]
    public async Task A_WebSocket_without_the_mqtt_sub_protocol_is_refused()
    {
        var refused = await Assert.ThrowsAsync<WebSocketException>(() => MqttWebSocket.ConnectAsync(Uri("ws"), null, "chat"));
        Assert.Contains("400", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_path_other_than_the_listeners_is_not_found()
    {
        var refused = await Assert.ThrowsAsync<WebSocketException>(() => MqttWebSocket.ConnectAsync(Uri("ws", "/other"), null, "mqtt"));
        Assert.Contains("404", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_WebSocket_listener_serves_its_own_path()
    {
        using var socket = await MqttWebSocket.ConnectAsync(Uri("ws-other", "/other"), null, "mqtt");
        await socket.SendAsync(Connect);

        Assert.Equal(ConnAckAccepted, await socket.ReceiveAsync(4));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    [Trait("spec", "MQTT-6.0.0-2")]
    public async Task One_packet_split_over_two_frames_is_read_as_one(bool asTwoMessages)
    {
        using var socket = await MqttWebSocket.ConnectAsync(Uri("ws"), null, "mqtt");

        // Either two binary messages, or one message in a first frame and a continuation frame.
        await socket.SendAsync(Connect[..5], endOfMessage: asTwoMessages);
        await socket.SendAsync(Connect[5..]);

        Assert.Equal(ConnAckAccepted, await socket.ReceiveAsync(4));
    }

    [Fact]
    [Trait("spec", "MQTT-6.0.0-2")]
    public async Task Several_packets_in_one_frame_are_each_handled()
    {
        using var socket = await MqttWebSocket.ConnectAsync(Uri("ws"), null, "mqtt");

        // CONNECT, then SUBSCRIBE "a/b" QoS 0 (packet id 1), in one frame.
        byte[] subscribe = [0x82, 0x08, 0x00, 0x01, 0x00, 0x03, 0x61, 0x2F, 0x62, 0x00];
        await socket.SendAsync([.. Connect, .. subscribe]);
        Assert.Equal(ConnAckAccepted, await socket.ReceiveAsync(4));
        Assert.Equal(new byte[] { 0x90, 0x03, 0x00, 0x01, 0x00 }, await socket.ReceiveAsync(5));

        // PUBLISH "a/b" "hi" QoS 0, to itself, then PINGREQ, in one frame: both are answered, in either order.
        byte[] publish = [0x30, 0x07, 0x00, 0x03, 0x61, 0x2F, 0x62, 0x68, 0x69];
        byte[] pingResp = [0xD0, 0x00];
        await socket.SendAsync([.. publish, 0xC0, 0x00]);
        var answers = await socket.ReceiveAsync(publish.Length + pingResp.Length);

        Assert.True(
            answers.SequenceEqual([.. publish, .. pingResp]) || answers.SequenceEqual([.. pingResp, .. publish]),
            $"expected the PUBLISH and a PINGRESP, got {Convert.ToHexString(answers)}");
    }

    [Fact]
    [Trait("spec", "MQTT-6.0.0-1")]
    public async Task A_text_frame_closes_the_connection()
    {
        using var socket = await MqttWebSocket.ConnectAsync(Uri("ws"), null, "mqtt");
        await socket.SendAsync(Connect);
        Assert.Equal(ConnAckAccepted, await socket.ReceiveAsync(4));

        await socket.SendAsync(Encoding.UTF8.GetBytes("not binary"), type: WebSocketMessageType.Text);

        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, await socket.ReceiveCloseAsync());
    }

    [Fact]
    public async Task The_broker_closes_the_WebSocket_cleanly_after_DISCONNECT()
    {
        using var socket = await MqttWebSocket.ConnectAsync(Uri("ws"), null, "mqtt");
        await socket.SendAsync(Connect);
        Assert.Equal(ConnAckAccepted, await socket.ReceiveAsync(4));

        await socket.SendAsync([0xE0, 0x00]);

        Assert.Equal(WebSocketCloseStatus.NormalClosure, await socket.ReceiveCloseAsync());
    }

    [Fact]
    public async Task A_raw_client_over_secure_WebSocket_connects()
    {
        using var socket = await MqttWebSocket.ConnectAsync(Uri("wss"), broker.Certificates.Authority, "mqtt");
        await socket.SendAsync(Connect);

        Assert.Equal(ConnAckAccepted, await socket.ReceiveAsync(4));
    }

    [Theory]
    [InlineData("ws")]
    [InlineData("wss")]
    public async Task MQTTnet_over_WebSocket_and_a_TCP_client_exchange_messages_both_ways(string listener)
    {
        var topic = $"{listener}/mqttnet/{Guid.NewGuid():N}";
        await using var tcp = await TestClient.ConnectAsync(broker.Broker, MqttProtocolVersion.V500);
        await using var ws = await TestClient.ConnectAsync(
            MqttProtocolVersion.V500,
            o =>
            {
                o.WithWebSocketServer(w => w.WithUri(Uri(listener).ToString()));
                if (listener == "wss")
                {
                    TlsClient.ConfigureTls(o, broker.Certificates);
                }
            });
        await tcp.SubscribeAsync($"{topic}/up");
        await ws.SubscribeAsync($"{topic}/down");

        await ws.PublishAsync($"{topic}/up", "from websocket");
        await tcp.PublishAsync($"{topic}/down", "from tcp");

        Assert.Equal("from websocket", TestClient.Text(await tcp.NextAsync()));
        Assert.Equal("from tcp", TestClient.Text(await ws.NextAsync()));
    }

    private Uri Uri(string listener, string path = "/mqtt") =>
        new($"{(listener.StartsWith("wss", StringComparison.Ordinal) ? "wss" : "ws")}://{(listener.StartsWith("wss", StringComparison.Ordinal) ? "localhost" : IPAddress.Loopback.ToString())}:{broker.PortOf(listener)}{path}");
}
