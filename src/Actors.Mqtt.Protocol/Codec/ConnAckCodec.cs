using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;

namespace Actors.Mqtt.Protocol.Codec;

/// <summary>CONNACK: 3.1 has a reserved byte and a return code, 3.1.1 adds session present, 5.0 reason codes and properties.</summary>
internal static class ConnAckCodec
{
    public static bool TryDecode(ref MqttSpanReader r, MqttProtocolVersion version, out MqttPacket? packet)
    {
        packet = null;
        if (!r.TryReadByte(out var flags) || !r.TryReadByte(out var code))
        {
            return false;
        }

        if ((flags & 0xFE) != 0 || (version == MqttProtocolVersion.V310 && flags != 0))
        {
            return r.Fail(ReasonCode.MalformedPacket, "reserved connect acknowledge flags are set", "MQTT-3.2.2-1");
        }

        ReasonCode reason;
        MqttProperties? properties = null;
        if (version == MqttProtocolVersion.V500)
        {
            reason = (ReasonCode)code;
            if (!ReasonCodes.IsValidFor(PacketType.ConnAck, reason))
            {
                return r.Fail(ReasonCode.ProtocolError, $"0x{code:X2} is not a CONNACK reason code", ReasonCodes.SpecIdFor(PacketType.ConnAck));
            }

            if (!PropertyCodec.TryRead(ref r, PropertyScope.ConnAck, out properties))
            {
                return false;
            }
        }
        else if (!TryFromReturnCode(code, out reason))
        {
            return r.Fail(ReasonCode.MalformedPacket, $"CONNACK return code {code} is reserved");
        }

        if (!r.End)
        {
            return r.Fail(ReasonCode.MalformedPacket, "CONNACK is longer than its content");
        }

        packet = new ConnAckPacket { SessionPresent = (flags & 1) != 0, ReasonCode = reason, Properties = properties };
        return true;
    }

    public static int GetBodySize(ConnAckPacket p, MqttProtocolVersion version) =>
        version == MqttProtocolVersion.V500 ? 2 + PropertyCodec.GetBlockSize(p.Properties, PropertyScope.ConnAck) : 2;

    public static void Write(ref MqttSpanWriter w, ConnAckPacket p, MqttProtocolVersion version)
    {
        // A refused connection never has a session [MQTT-3.2.2-6], and 3.1 has no session present flag at all.
        var sessionPresent = p.SessionPresent && p.ReasonCode == ReasonCode.Success && version != MqttProtocolVersion.V310;
        w.WriteByte(sessionPresent ? (byte)1 : (byte)0);
        if (version == MqttProtocolVersion.V500)
        {
            if (!ReasonCodes.IsValidFor(PacketType.ConnAck, p.ReasonCode))
            {
                throw new ArgumentException($"{p.ReasonCode} is not a CONNACK reason code", nameof(p));
            }

            w.WriteByte((byte)p.ReasonCode);
            PropertyCodec.WriteBlock(ref w, p.Properties, PropertyScope.ConnAck);
        }
        else
        {
            w.WriteByte(ToReturnCode(p.ReasonCode));
        }
    }

    /// <summary>The 3.1/3.1.1 return code nearest to an MQTT 5.0 reason code.</summary>
    public static byte ToReturnCode(ReasonCode code) => code switch
    {
        ReasonCode.Success => 0,
        ReasonCode.UnsupportedProtocolVersion => 1,
        ReasonCode.ClientIdentifierNotValid => 2,
        ReasonCode.BadUserNameOrPassword or ReasonCode.BadAuthenticationMethod => 4,
        ReasonCode.NotAuthorized or ReasonCode.Banned => 5,
        _ => 3,
    };

    private static bool TryFromReturnCode(byte code, out ReasonCode reason)
    {
        reason = code switch
        {
            0 => ReasonCode.Success,
            1 => ReasonCode.UnsupportedProtocolVersion,
            2 => ReasonCode.ClientIdentifierNotValid,
            3 => ReasonCode.ServerUnavailable,
            4 => ReasonCode.BadUserNameOrPassword,
            5 => ReasonCode.NotAuthorized,
            _ => ReasonCode.UnspecifiedError,
        };
        return code <= 5;
    }
}
