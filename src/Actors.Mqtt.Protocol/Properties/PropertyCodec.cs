using Actors.Mqtt.Protocol.Codec;
using Actors.Mqtt.Protocol.Topics;

namespace Actors.Mqtt.Protocol.Properties;

/// <summary>Reads, sizes and writes an MQTT 5.0 property block: a variable byte integer length, then the properties.</summary>
internal static class PropertyCodec
{
    /// <summary>Reads one property block. An empty block gives null, so packets without properties allocate nothing.</summary>
    public static bool TryRead(ref MqttSpanReader reader, PropertyScope scope, out MqttProperties? properties)
    {
        properties = null;
        if (!reader.TryReadVariableByteInteger(out var length))
        {
            return false;
        }

        // Most packets carry no properties: nothing to slice or allocate then.
        if (length == 0)
        {
            return true;
        }

        if (!reader.TrySlice(length, out var block))
        {
            return false;
        }

        var result = new MqttProperties();
        List<MqttUserProperty>? userProperties = null;
        List<int>? subscriptionIds = null;
        var seen = 0UL;
        while (!block.End)
        {
            if (!block.TryReadVariableByteInteger(out var rawId))
            {
                return reader.Fail(block.Error.ReasonCode, block.Error.Message, block.Error.SpecId);
            }

            if (!PropertyRules.TryGet(rawId, out var type, out var allowed))
            {
                return reader.Fail(ReasonCode.MalformedPacket, $"unknown property identifier 0x{rawId:X2}");
            }

            var id = (PropertyId)rawId;
            if ((allowed & scope) == 0)
            {
                return reader.Fail(ReasonCode.MalformedPacket, $"property {id} is not allowed in {scope}");
            }

            var bit = 1UL << rawId;
            if ((seen & bit) != 0 && !PropertyRules.MayRepeat(id, scope))
            {
                return reader.Fail(ReasonCode.ProtocolError, $"property {id} appears more than once");
            }

            seen |= bit;
            if (!TryReadValue(ref block, id, type, result, ref userProperties, ref subscriptionIds))
            {
                return reader.Fail(block.Error.ReasonCode, block.Error.Message, block.Error.SpecId);
            }
        }

        if (result.RawAuthenticationData is not null && result.RawAuthenticationMethod is null)
        {
            return reader.Fail(ReasonCode.ProtocolError, "authentication data without an authentication method");
        }

        if (userProperties is not null)
        {
            result.RawUserProperties = userProperties;
        }

        if (subscriptionIds is not null)
        {
            result.RawSubscriptionIdentifiers = subscriptionIds;
        }

        properties = result;
        return true;
    }

    /// <summary>Bytes of the properties themselves, without the length prefix; 0 for null or empty.</summary>
    private static int GetContentSize(MqttProperties? properties, PropertyScope scope)
    {
        if (properties is null || properties.IsEmpty)
        {
            return 0;
        }

        var size = 0;
        var p = properties;
        size += Fixed(p.PayloadFormatIndicator.HasValue, PropertyId.PayloadFormatIndicator, 1, scope);
        size += Fixed(p.MessageExpiryInterval.HasValue, PropertyId.MessageExpiryInterval, 4, scope);
        size += Text(p.ContentType, PropertyId.ContentType, scope);
        size += Text(p.ResponseTopic, PropertyId.ResponseTopic, scope);
        size += Data(p.CorrelationData, PropertyId.CorrelationData, scope);
        if (p.SubscriptionIdentifiers.Count > 0)
        {
            Check(PropertyId.SubscriptionIdentifier, scope);
            if (p.SubscriptionIdentifiers.Count > 1 && !PropertyRules.MayRepeat(PropertyId.SubscriptionIdentifier, scope))
            {
                throw new ArgumentException($"only one subscription identifier is allowed in {scope}", nameof(properties));
            }

            foreach (var subscriptionId in p.SubscriptionIdentifiers)
            {
                if (subscriptionId < 1)
                {
                    throw new ArgumentException("a subscription identifier is at least 1", nameof(properties));
                }

                size += 1 + VariableByteInteger.GetSize(subscriptionId);
            }
        }

        size += Fixed(p.SessionExpiryInterval.HasValue, PropertyId.SessionExpiryInterval, 4, scope);
        size += Text(p.AssignedClientIdentifier, PropertyId.AssignedClientIdentifier, scope);
        size += Fixed(p.ServerKeepAlive.HasValue, PropertyId.ServerKeepAlive, 2, scope);
        size += Text(p.AuthenticationMethod, PropertyId.AuthenticationMethod, scope);
        size += Data(p.AuthenticationData, PropertyId.AuthenticationData, scope);
        size += Fixed(p.RequestProblemInformation.HasValue, PropertyId.RequestProblemInformation, 1, scope);
        size += Fixed(p.WillDelayInterval.HasValue, PropertyId.WillDelayInterval, 4, scope);
        size += Fixed(p.RequestResponseInformation.HasValue, PropertyId.RequestResponseInformation, 1, scope);
        size += Text(p.ResponseInformation, PropertyId.ResponseInformation, scope);
        size += Text(p.ServerReference, PropertyId.ServerReference, scope);
        size += Text(p.ReasonString, PropertyId.ReasonString, scope);
        size += Fixed(p.ReceiveMaximum.HasValue, PropertyId.ReceiveMaximum, 2, scope);
        size += Fixed(p.TopicAliasMaximum.HasValue, PropertyId.TopicAliasMaximum, 2, scope);
        size += Fixed(p.TopicAlias.HasValue, PropertyId.TopicAlias, 2, scope);
        size += Fixed(p.MaximumQoS.HasValue, PropertyId.MaximumQoS, 1, scope);
        size += Fixed(p.RetainAvailable.HasValue, PropertyId.RetainAvailable, 1, scope);
        if (p.UserProperties.Count > 0)
        {
            Check(PropertyId.UserProperty, scope);
            foreach (var pair in p.UserProperties)
            {
                size += 1 + MqttSizes.String(pair.Name) + MqttSizes.String(pair.Value);
            }
        }

        size += Fixed(p.MaximumPacketSize.HasValue, PropertyId.MaximumPacketSize, 4, scope);
        size += Fixed(p.WildcardSubscriptionAvailable.HasValue, PropertyId.WildcardSubscriptionAvailable, 1, scope);
        size += Fixed(p.SubscriptionIdentifiersAvailable.HasValue, PropertyId.SubscriptionIdentifierAvailable, 1, scope);
        size += Fixed(p.SharedSubscriptionAvailable.HasValue, PropertyId.SharedSubscriptionAvailable, 1, scope);
        return size;
    }

    /// <summary>Bytes of the whole block: the length prefix and the properties.</summary>
    public static int GetBlockSize(MqttProperties? properties, PropertyScope scope)
    {
        var content = GetContentSize(properties, scope);
        return VariableByteInteger.GetSize(content) + content;
    }

    /// <summary>Writes the length prefix and the properties, in ascending identifier order.</summary>
    public static void WriteBlock(ref MqttSpanWriter writer, MqttProperties? properties, PropertyScope scope)
    {
        var contentSize = GetContentSize(properties, scope);
        writer.WriteVariableByteInteger(contentSize);
        if (contentSize == 0 || properties is null)
        {
            return;
        }

        var p = properties;
        if (p.PayloadFormatIndicator is { } format)
        {
            writer.WriteByte((byte)PropertyId.PayloadFormatIndicator);
            writer.WriteByte((byte)format);
        }

        WriteUInt32(ref writer, PropertyId.MessageExpiryInterval, p.MessageExpiryInterval);
        WriteString(ref writer, PropertyId.ContentType, p.ContentType);
        WriteString(ref writer, PropertyId.ResponseTopic, p.ResponseTopic);
        WriteBinary(ref writer, PropertyId.CorrelationData, p.CorrelationData);
        foreach (var subscriptionId in p.SubscriptionIdentifiers)
        {
            writer.WriteByte((byte)PropertyId.SubscriptionIdentifier);
            writer.WriteVariableByteInteger(subscriptionId);
        }

        WriteUInt32(ref writer, PropertyId.SessionExpiryInterval, p.SessionExpiryInterval);
        WriteString(ref writer, PropertyId.AssignedClientIdentifier, p.AssignedClientIdentifier);
        WriteUInt16(ref writer, PropertyId.ServerKeepAlive, p.ServerKeepAlive);
        WriteString(ref writer, PropertyId.AuthenticationMethod, p.AuthenticationMethod);
        WriteBinary(ref writer, PropertyId.AuthenticationData, p.AuthenticationData);
        WriteFlag(ref writer, PropertyId.RequestProblemInformation, p.RequestProblemInformation);
        WriteUInt32(ref writer, PropertyId.WillDelayInterval, p.WillDelayInterval);
        WriteFlag(ref writer, PropertyId.RequestResponseInformation, p.RequestResponseInformation);
        WriteString(ref writer, PropertyId.ResponseInformation, p.ResponseInformation);
        WriteString(ref writer, PropertyId.ServerReference, p.ServerReference);
        WriteString(ref writer, PropertyId.ReasonString, p.ReasonString);
        WriteUInt16(ref writer, PropertyId.ReceiveMaximum, p.ReceiveMaximum);
        WriteUInt16(ref writer, PropertyId.TopicAliasMaximum, p.TopicAliasMaximum);
        WriteUInt16(ref writer, PropertyId.TopicAlias, p.TopicAlias);
        if (p.MaximumQoS is { } qos)
        {
            writer.WriteByte((byte)PropertyId.MaximumQoS);
            writer.WriteByte((byte)qos);
        }

        WriteFlag(ref writer, PropertyId.RetainAvailable, p.RetainAvailable);
        foreach (var pair in p.UserProperties)
        {
            writer.WriteByte((byte)PropertyId.UserProperty);
            writer.WriteString(pair.Name);
            writer.WriteString(pair.Value);
        }

        WriteUInt32(ref writer, PropertyId.MaximumPacketSize, p.MaximumPacketSize);
        WriteFlag(ref writer, PropertyId.WildcardSubscriptionAvailable, p.WildcardSubscriptionAvailable);
        WriteFlag(ref writer, PropertyId.SubscriptionIdentifierAvailable, p.SubscriptionIdentifiersAvailable);
        WriteFlag(ref writer, PropertyId.SharedSubscriptionAvailable, p.SharedSubscriptionAvailable);
    }

    private static bool TryReadValue(
        ref MqttSpanReader r,
        PropertyId id,
        PropertyType type,
        MqttProperties p,
        ref List<MqttUserProperty>? userProperties,
        ref List<int>? subscriptionIds)
    {
        switch (type)
        {
            case PropertyType.Byte:
                return r.TryReadByte(out var b) && TrySetByte(ref r, id, b, p);
            case PropertyType.TwoByteInteger:
                return r.TryReadUInt16(out var u16) && TrySetUInt16(ref r, id, u16, p);
            case PropertyType.FourByteInteger:
                return r.TryReadUInt32(out var u32) && TrySetUInt32(ref r, id, u32, p);
            case PropertyType.VariableByteInteger:
                if (!r.TryReadVariableByteInteger(out var subscriptionId))
                {
                    return false;
                }

                if (subscriptionId == 0)
                {
                    return r.Fail(ReasonCode.ProtocolError, "subscription identifier is 0");
                }

                (subscriptionIds ??= []).Add(subscriptionId);
                return true;
            case PropertyType.Utf8String:
                return r.TryReadString(out var text) && TrySetString(ref r, id, text, p);
            case PropertyType.BinaryData:
                if (!r.TryReadBinary(out var data))
                {
                    return false;
                }

                if (id == PropertyId.CorrelationData)
                {
                    p.RawCorrelationData = data;
                }
                else
                {
                    p.RawAuthenticationData = data;
                }

                return true;
            default:
                if (!r.TryReadString(out var name) || !r.TryReadString(out var value))
                {
                    return false;
                }

                (userProperties ??= []).Add(new MqttUserProperty(name, value));
                return true;
        }
    }

    private static bool TrySetByte(ref MqttSpanReader r, PropertyId id, byte value, MqttProperties p)
    {
        if (value > 1)
        {
            return r.Fail(ReasonCode.ProtocolError, $"property {id} must be 0 or 1, was {value}");
        }

        var flag = value == 1;
        switch (id)
        {
            case PropertyId.PayloadFormatIndicator: p.RawPayloadFormatIndicator = (PayloadFormat)value; break;
            case PropertyId.RequestProblemInformation: p.RawRequestProblemInformation = flag; break;
            case PropertyId.RequestResponseInformation: p.RawRequestResponseInformation = flag; break;
            case PropertyId.MaximumQoS: p.RawMaximumQoS = (QualityOfService)value; break;
            case PropertyId.RetainAvailable: p.RawRetainAvailable = flag; break;
            case PropertyId.WildcardSubscriptionAvailable: p.RawWildcardSubscriptionAvailable = flag; break;
            case PropertyId.SubscriptionIdentifierAvailable: p.RawSubscriptionIdentifiersAvailable = flag; break;
            default: p.RawSharedSubscriptionAvailable = flag; break;
        }

        return true;
    }

    private static bool TrySetUInt16(ref MqttSpanReader r, PropertyId id, ushort value, MqttProperties p)
    {
        switch (id)
        {
            case PropertyId.ServerKeepAlive: p.RawServerKeepAlive = value; break;
            case PropertyId.ReceiveMaximum:
                if (value == 0)
                {
                    return r.Fail(ReasonCode.ProtocolError, "receive maximum is 0");
                }

                p.RawReceiveMaximum = value;
                break;
            case PropertyId.TopicAliasMaximum: p.RawTopicAliasMaximum = value; break;
            default:
                if (value == 0)
                {
                    return r.Fail(ReasonCode.TopicAliasInvalid, "topic alias is 0", "MQTT-3.3.2-8");
                }

                p.RawTopicAlias = value;
                break;
        }

        return true;
    }

    private static bool TrySetUInt32(ref MqttSpanReader r, PropertyId id, uint value, MqttProperties p)
    {
        switch (id)
        {
            case PropertyId.MessageExpiryInterval: p.RawMessageExpiryInterval = value; break;
            case PropertyId.SessionExpiryInterval: p.RawSessionExpiryInterval = value; break;
            case PropertyId.WillDelayInterval: p.RawWillDelayInterval = value; break;
            default:
                if (value == 0)
                {
                    return r.Fail(ReasonCode.ProtocolError, "maximum packet size is 0");
                }

                p.RawMaximumPacketSize = value;
                break;
        }

        return true;
    }

    private static bool TrySetString(ref MqttSpanReader r, PropertyId id, string value, MqttProperties p)
    {
        switch (id)
        {
            case PropertyId.ContentType: p.RawContentType = value; break;
            case PropertyId.ResponseTopic:
                if (!TopicName.TryValidate(value, out var error))
                {
                    return r.Fail(error.ReasonCode, "response topic: " + error.Message, "MQTT-3.3.2-14");
                }

                p.RawResponseTopic = value;
                break;
            case PropertyId.AssignedClientIdentifier: p.RawAssignedClientIdentifier = value; break;
            case PropertyId.AuthenticationMethod: p.RawAuthenticationMethod = value; break;
            case PropertyId.ResponseInformation: p.RawResponseInformation = value; break;
            case PropertyId.ServerReference: p.RawServerReference = value; break;
            default: p.RawReasonString = value; break;
        }

        return true;
    }

    private static void Check(PropertyId id, PropertyScope scope)
    {
        if (!PropertyRules.IsAllowed(id, scope))
        {
            throw new ArgumentException($"property {id} is not allowed in {scope}");
        }
    }

    private static int Fixed(bool present, PropertyId id, int valueSize, PropertyScope scope)
    {
        if (!present)
        {
            return 0;
        }

        Check(id, scope);
        return 1 + valueSize;
    }

    private static int Text(string? value, PropertyId id, PropertyScope scope)
    {
        if (value is null)
        {
            return 0;
        }

        Check(id, scope);
        return 1 + MqttSizes.String(value);
    }

    private static int Data(ReadOnlyMemory<byte>? value, PropertyId id, PropertyScope scope)
    {
        if (value is not { } data)
        {
            return 0;
        }

        Check(id, scope);
        return 1 + MqttSizes.Binary(data);
    }

    private static void WriteFlag(ref MqttSpanWriter writer, PropertyId id, bool? value)
    {
        if (value is { } flag)
        {
            writer.WriteByte((byte)id);
            writer.WriteByte(flag ? (byte)1 : (byte)0);
        }
    }

    private static void WriteUInt16(ref MqttSpanWriter writer, PropertyId id, ushort? value)
    {
        if (value is { } v)
        {
            writer.WriteByte((byte)id);
            writer.WriteUInt16(v);
        }
    }

    private static void WriteUInt32(ref MqttSpanWriter writer, PropertyId id, uint? value)
    {
        if (value is { } v)
        {
            writer.WriteByte((byte)id);
            writer.WriteUInt32(v);
        }
    }

    private static void WriteString(ref MqttSpanWriter writer, PropertyId id, string? value)
    {
        if (value is not null)
        {
            writer.WriteByte((byte)id);
            writer.WriteString(value);
        }
    }

    private static void WriteBinary(ref MqttSpanWriter writer, PropertyId id, ReadOnlyMemory<byte>? value)
    {
        if (value is { } data)
        {
            writer.WriteByte((byte)id);
            writer.WriteBinary(data.Span);
        }
    }
}
