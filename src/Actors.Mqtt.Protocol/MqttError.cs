namespace Actors.Mqtt.Protocol;

/// <summary>
/// Why a packet was refused: the reason code the spec names for the fault (what an MQTT 5.0 peer is told in
/// CONNACK or DISCONNECT), the normative statement it breaks where there is one, and a message for the log.
/// </summary>
/// <param name="ReasonCode">0x81 Malformed Packet, 0x82 Protocol Error, 0x95 Packet too large, ...</param>
/// <param name="Message">One line for an operator; never contains payload or password bytes.</param>
/// <param name="SpecId">The conformance statement, such as <c>MQTT-3.3.1-4</c>, or null.</param>
public readonly record struct MqttError(ReasonCode ReasonCode, string Message, string? SpecId = null)
{
    public override string ToString() => SpecId is null
        ? $"0x{(byte)ReasonCode:X2} {ReasonCode}: {Message}"
        : $"0x{(byte)ReasonCode:X2} {ReasonCode}: {Message} [{SpecId}]";
}
