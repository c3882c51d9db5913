namespace Actors.Mqtt.Broker.Connections;

/// <summary>
/// Reads the protocol level of a CONNECT that failed to decode, to answer in the client's own format:
/// an MQTT 5.0 client gets a 5.0 CONNACK with the reason code, older clients a 3.1.1 return code.
/// </summary>
internal static class ConnectProbe
{
    public static byte? ProtocolLevel(ReadOnlySpan<byte> body)
    {
        if (body.Length < 2)
        {
            return null;
        }

        var nameLength = (body[0] << 8) | body[1];
        return body.Length > 2 + nameLength ? body[2 + nameLength] : null;
    }
}
