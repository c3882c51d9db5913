namespace Actors.Mqtt.Server.Transport;

/// <summary>A client sent a WebSocket text message where MQTT allows only binary ones [MQTT-6.0.0-1].</summary>
public sealed class WebSocketTextMessageException : Exception
{
    public WebSocketTextMessageException()
        : base("the client sent a WebSocket text message; MQTT is carried in binary messages only [MQTT-6.0.0-1]")
    {
    }
}
