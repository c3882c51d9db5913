using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Actors.Mqtt.Protocol.Topics;

namespace Actors.Mqtt.Protocol.Codec;

/// <summary>CONNECT (section 3.1 of each version). The packet names its own version, so no version is passed in.</summary>
internal static class ConnectCodec
{
    private const byte UserNameFlag = 0x80;
    private const byte PasswordFlag = 0x40;
    private const byte WillRetainFlag = 0x20;
    private const byte WillFlag = 0x04;
    private const byte CleanSessionFlag = 0x02;
    private const byte ReservedFlag = 0x01;

    public static bool TryDecode(ref MqttSpanReader r, out MqttPacket? packet)
    {
        packet = null;
        if (!r.TryReadString(out var protocolName) || !r.TryReadByte(out var level))
        {
            return false;
        }

        if (protocolName is not ("MQTT" or "MQIsdp"))
        {
            return r.Fail(ReasonCode.ProtocolError, "protocol name is neither MQTT nor MQIsdp", "MQTT-3.1.2-1");
        }

        var version = (MqttProtocolVersion)level;
        var known = protocolName == "MQTT"
            ? version is MqttProtocolVersion.V311 or MqttProtocolVersion.V500
            : version is MqttProtocolVersion.V310;
        if (!known)
        {
            return r.Fail(ReasonCode.UnsupportedProtocolVersion, $"protocol {protocolName} level {level} is not supported", "MQTT-3.1.2-2");
        }

        if (!r.TryReadByte(out var flags) || !r.TryReadUInt16(out var keepAlive))
        {
            return false;
        }

        if ((flags & ReservedFlag) != 0)
        {
            return r.Fail(ReasonCode.MalformedPacket, "reserved connect flag is set", "MQTT-3.1.2-3");
        }

        var willQoS = (flags >> 3) & 0x03;
        var hasWill = (flags & WillFlag) != 0;
        if (!hasWill && willQoS != 0)
        {
            return r.Fail(ReasonCode.MalformedPacket, "will QoS is set without a will", "MQTT-3.1.2-11");
        }

        if (!hasWill && (flags & WillRetainFlag) != 0)
        {
            return r.Fail(ReasonCode.MalformedPacket, "will retain is set without a will", "MQTT-3.1.2-13");
        }

        if (willQoS == 3)
        {
            return r.Fail(ReasonCode.MalformedPacket, "will QoS is 3", "MQTT-3.1.2-12");
        }

        var hasUserName = (flags & UserNameFlag) != 0;
        var hasPassword = (flags & PasswordFlag) != 0;
        if (hasPassword && !hasUserName && version != MqttProtocolVersion.V500)
        {
            return r.Fail(ReasonCode.ProtocolError, "password flag set without user name flag", "MQTT-3.1.2-22 (3.1.1)");
        }

        MqttProperties? properties = null;
        if (version == MqttProtocolVersion.V500 && !PropertyCodec.TryRead(ref r, PropertyScope.Connect, out properties))
        {
            return false;
        }

        if (!r.TryReadString(out var clientId))
        {
            return false;
        }

        MqttWill? will = null;
        if (hasWill)
        {
            MqttProperties? willProperties = null;
            if (version == MqttProtocolVersion.V500 && !PropertyCodec.TryRead(ref r, PropertyScope.Will, out willProperties))
            {
                return false;
            }

            if (!r.TryReadString(out var willTopic) || !r.TryReadBinary(out var willPayload))
            {
                return false;
            }

            if (!TopicName.TryValidate(willTopic, out var topicError))
            {
                return r.Fail(topicError.ReasonCode, "will topic: " + topicError.Message, topicError.SpecId);
            }

            will = new MqttWill(willTopic, willPayload)
            {
                QoS = (QualityOfService)willQoS,
                Retain = (flags & WillRetainFlag) != 0,
                Properties = willProperties,
            };
        }

        string? userName = null;
        if (hasUserName && !r.TryReadString(out userName))
        {
            return false;
        }

        ReadOnlyMemory<byte>? password = null;
        if (hasPassword)
        {
            if (!r.TryReadBinary(out var passwordBytes))
            {
                return false;
            }

            password = passwordBytes;
        }

        if (!r.End)
        {
            return r.Fail(ReasonCode.MalformedPacket, "CONNECT has bytes after its payload");
        }

        packet = new ConnectPacket
        {
            ProtocolVersion = version,
            ClientId = clientId,
            CleanSession = (flags & CleanSessionFlag) != 0,
            KeepAliveSeconds = keepAlive,
            UserName = userName,
            Password = password,
            Will = will,
            Properties = properties,
        };
        return true;
    }

    public static int GetBodySize(ConnectPacket p)
    {
        var v5 = p.ProtocolVersion == MqttProtocolVersion.V500;
        var size = (p.ProtocolVersion == MqttProtocolVersion.V310 ? 8 : 6) + 1 + 1 + 2;
        if (v5)
        {
            size += PropertyCodec.GetBlockSize(p.Properties, PropertyScope.Connect);
        }

        size += MqttSizes.String(p.ClientId);
        if (p.Will is { } will)
        {
            if (v5)
            {
                size += PropertyCodec.GetBlockSize(will.Properties, PropertyScope.Will);
            }

            size += MqttSizes.String(will.Topic) + MqttSizes.Binary(will.Payload);
        }

        if (p.UserName is not null)
        {
            size += MqttSizes.String(p.UserName);
        }
        else if (p.Password.HasValue && !v5)
        {
            throw new ArgumentException("a password needs a user name before MQTT 5.0", nameof(p));
        }

        if (p.Password is { } password)
        {
            size += MqttSizes.Binary(password);
        }

        return size;
    }

    public static void Write(ref MqttSpanWriter w, ConnectPacket p)
    {
        var v5 = p.ProtocolVersion == MqttProtocolVersion.V500;
        w.WriteString(p.ProtocolVersion == MqttProtocolVersion.V310 ? "MQIsdp" : "MQTT");
        w.WriteByte((byte)p.ProtocolVersion);
        var flags = 0;
        if (p.UserName is not null)
        {
            flags |= UserNameFlag;
        }

        if (p.Password.HasValue)
        {
            flags |= PasswordFlag;
        }

        if (p.Will is { } w0)
        {
            flags |= WillFlag | ((int)w0.QoS << 3) | (w0.Retain ? WillRetainFlag : 0);
        }

        if (p.CleanSession)
        {
            flags |= CleanSessionFlag;
        }

        w.WriteByte((byte)flags);
        w.WriteUInt16(p.KeepAliveSeconds);
        if (v5)
        {
            PropertyCodec.WriteBlock(ref w, p.Properties, PropertyScope.Connect);
        }

        w.WriteString(p.ClientId);
        if (p.Will is { } will)
        {
            if (v5)
            {
                PropertyCodec.WriteBlock(ref w, will.Properties, PropertyScope.Will);
            }

            w.WriteString(will.Topic);
            w.WriteBinary(will.Payload.Span);
        }

        if (p.UserName is not null)
        {
            w.WriteString(p.UserName);
        }

        if (p.Password is { } password)
        {
            w.WriteBinary(password.Span);
        }
    }
}
