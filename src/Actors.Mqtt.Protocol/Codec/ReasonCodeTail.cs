using Actors.Mqtt.Protocol.Properties;

namespace Actors.Mqtt.Protocol.Codec;

/// <summary>
/// The MQTT 5.0 ending shared by PUBACK, PUBREC, PUBREL, PUBCOMP, DISCONNECT and AUTH: a reason code, then
/// properties, where an absent reason code means Success and absent properties mean none. A sender leaves off
/// what it may; a receiver accepts every form.
/// </summary>
internal static class ReasonCodeTail
{
    public static bool TryRead(ref MqttSpanReader r, PacketType type, PropertyScope scope, MqttProtocolVersion version, out ReasonCode reason, out MqttProperties? properties)
    {
        reason = ReasonCode.Success;
        properties = null;
        if (version == MqttProtocolVersion.V500 && !r.End)
        {
            if (!r.TryReadByte(out var code))
            {
                return false;
            }

            reason = (ReasonCode)code;
            if (!ReasonCodes.IsValidFor(type, reason))
            {
                return r.Fail(ReasonCode.ProtocolError, $"0x{code:X2} is not a {type} reason code", ReasonCodes.SpecIdFor(type));
            }

            if (!r.End && !PropertyCodec.TryRead(ref r, scope, out properties))
            {
                return false;
            }
        }

        return r.End || r.Fail(ReasonCode.MalformedPacket, $"{type} is longer than its content");
    }

    /// <summary>Bytes of the tail as it will be written: 0 (Success, no properties), 1 (a reason code), or more.</summary>
    public static int GetSize(PacketType type, ReasonCode reason, MqttProperties? properties, PropertyScope scope)
    {
        if (!ReasonCodes.IsValidFor(type, reason))
        {
            throw new ArgumentException($"{reason} is not a {type} reason code", nameof(reason));
        }

        var propertiesSize = PropertyCodec.GetBlockSize(properties, scope);
        return propertiesSize > 1 ? 1 + propertiesSize : reason == ReasonCode.Success ? 0 : 1;
    }

    public static void Write(ref MqttSpanWriter w, ReasonCode reason, MqttProperties? properties, PropertyScope scope, int size)
    {
        if (size > 0)
        {
            w.WriteByte((byte)reason);
        }

        if (size > 1)
        {
            PropertyCodec.WriteBlock(ref w, properties, scope);
        }
    }
}
