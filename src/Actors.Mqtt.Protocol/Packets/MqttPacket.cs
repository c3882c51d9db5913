namespace Actors.Mqtt.Protocol.Packets;

/// <summary>
/// One MQTT control packet, independent of the protocol version: the codec writes the fields a version has
/// and leaves out the rest (MQTT 5.0 properties and reason codes on a 3.1.1 connection, for example).
/// Packets are immutable, so the broker can pass them between actors as they are.
/// </summary>
public abstract record MqttPacket
{
    public abstract PacketType Type { get; }
}
