using System.Net.WebSockets;
using Actors.Mqtt.Integration.Tests.Support;

namespace Actors.Mqtt.Integration.Tests.Listeners;

/// <summary>A broker of its own, stopped while a WebSocket client is connected.</summary>
public sealed class WebSocketShutdownTests : IAsyncLifetime
{
    private readonly ListenersBroker broker = new();

    public Task InitializeAsync() => broker.InitializeAsync();

    public Task DisposeAsync() => broker.DisposeAsync();

    [Fact]
    public async Task Stopping_the_broker_closes_a_WebSocket_with_a_closing_handshake()
    {
        using var socket = await MqttWebSocket.ConnectAsync(new Uri($"ws://127.0.0.1:{broker.PortOf("ws")}/mqtt"), null, "mqtt");
        // MQTT 3.1.1 CONNECT, client id "ws", clean session, keep alive 60.
        await socket.SendAsync([0x10, 0x0E, 0x00, 0x04, 0x4D, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3C, 0x00, 0x02, 0x77, 0x73]);
        Assert.Equal(new byte[] { 0x20, 0x02, 0x00, 0x00 }, await socket.ReceiveAsync(4));

        var stopping = broker.Broker.DisposeAsync();
        var status = await socket.ReceiveCloseAsync();
        await socket.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        await stopping;

        Assert.Equal(WebSocketCloseStatus.NormalClosure, status);
        Assert.Equal(WebSocketState.Closed, socket.Socket.State);
    }
}
