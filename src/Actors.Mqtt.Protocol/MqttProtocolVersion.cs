namespace Actors.Mqtt.Protocol;

/// <summary>The protocol level byte of CONNECT, which selects the wire format of every later packet.</summary>
public enum MqttProtocolVersion : byte
{
    /// <summary>MQTT 3.1, protocol name <c>MQIsdp</c>.</summary>
    V310 = 3,

    /// <summary>MQTT 3.1.1, protocol name <c>MQTT</c>.</summary>
    V311 = 4,

    /// <summary>MQTT 5.0, protocol name <c>MQTT</c>.</summary>
    V500 = 5,
}
