namespace Actors.Mqtt.Protocol.Properties;

/// <summary>The table of section 2.2.2.2: each property's data type and the packets it may appear in.</summary>
public static class PropertyRules
{
    private const PropertyScope Acks = PropertyScope.PubAck | PropertyScope.PubRec | PropertyScope.PubRel | PropertyScope.PubComp;
    private const PropertyScope Everywhere = PropertyScope.Connect | PropertyScope.ConnAck | PropertyScope.Publish | PropertyScope.Will
        | Acks | PropertyScope.Subscribe | PropertyScope.SubAck | PropertyScope.Unsubscribe | PropertyScope.UnsubAck
        | PropertyScope.Disconnect | PropertyScope.Auth;

    private static readonly (PropertyType Type, PropertyScope Scope)?[] Table = Build();

    /// <summary>Type and scopes of a known identifier; false for an identifier the spec does not define.</summary>
    public static bool TryGet(int id, out PropertyType type, out PropertyScope scope)
    {
        if (id >= 0 && id < Table.Length && Table[id] is { } entry)
        {
            (type, scope) = entry;
            return true;
        }

        type = default;
        scope = PropertyScope.None;
        return false;
    }

    public static bool IsAllowed(PropertyId id, PropertyScope where) =>
        TryGet((int)id, out _, out var scope) && (scope & where) != 0;

    /// <summary>User properties may repeat anywhere; subscription identifiers only in PUBLISH (one per matching subscription).</summary>
    public static bool MayRepeat(PropertyId id, PropertyScope where) =>
        id == PropertyId.UserProperty || (id == PropertyId.SubscriptionIdentifier && where == PropertyScope.Publish);

    private static (PropertyType, PropertyScope)?[] Build()
    {
        var t = new (PropertyType, PropertyScope)?[(int)PropertyId.SharedSubscriptionAvailable + 1];
        void Add(PropertyId id, PropertyType type, PropertyScope scope) => t[(int)id] = (type, scope);

        Add(PropertyId.PayloadFormatIndicator, PropertyType.Byte, PropertyScope.Publish | PropertyScope.Will);
        Add(PropertyId.MessageExpiryInterval, PropertyType.FourByteInteger, PropertyScope.Publish | PropertyScope.Will);
        Add(PropertyId.ContentType, PropertyType.Utf8String, PropertyScope.Publish | PropertyScope.Will);
        Add(PropertyId.ResponseTopic, PropertyType.Utf8String, PropertyScope.Publish | PropertyScope.Will);
        Add(PropertyId.CorrelationData, PropertyType.BinaryData, PropertyScope.Publish | PropertyScope.Will);
        Add(PropertyId.SubscriptionIdentifier, PropertyType.VariableByteInteger, PropertyScope.Publish | PropertyScope.Subscribe);
        Add(PropertyId.SessionExpiryInterval, PropertyType.FourByteInteger, PropertyScope.Connect | PropertyScope.ConnAck | PropertyScope.Disconnect);
        Add(PropertyId.AssignedClientIdentifier, PropertyType.Utf8String, PropertyScope.ConnAck);
        Add(PropertyId.ServerKeepAlive, PropertyType.TwoByteInteger, PropertyScope.ConnAck);
        Add(PropertyId.AuthenticationMethod, PropertyType.Utf8String, PropertyScope.Connect | PropertyScope.ConnAck | PropertyScope.Auth);
        Add(PropertyId.AuthenticationData, PropertyType.BinaryData, PropertyScope.Connect | PropertyScope.ConnAck | PropertyScope.Auth);
        Add(PropertyId.RequestProblemInformation, PropertyType.Byte, PropertyScope.Connect);
        Add(PropertyId.WillDelayInterval, PropertyType.FourByteInteger, PropertyScope.Will);
        Add(PropertyId.RequestResponseInformation, PropertyType.Byte, PropertyScope.Connect);
        Add(PropertyId.ResponseInformation, PropertyType.Utf8String, PropertyScope.ConnAck);
        Add(PropertyId.ServerReference, PropertyType.Utf8String, PropertyScope.ConnAck | PropertyScope.Disconnect);
        Add(PropertyId.ReasonString, PropertyType.Utf8String, PropertyScope.ConnAck | Acks | PropertyScope.SubAck | PropertyScope.UnsubAck | PropertyScope.Disconnect | PropertyScope.Auth);
        Add(PropertyId.ReceiveMaximum, PropertyType.TwoByteInteger, PropertyScope.Connect | PropertyScope.ConnAck);
        Add(PropertyId.TopicAliasMaximum, PropertyType.TwoByteInteger, PropertyScope.Connect | PropertyScope.ConnAck);
        Add(PropertyId.TopicAlias, PropertyType.TwoByteInteger, PropertyScope.Publish);
        Add(PropertyId.MaximumQoS, PropertyType.Byte, PropertyScope.ConnAck);
        Add(PropertyId.RetainAvailable, PropertyType.Byte, PropertyScope.ConnAck);
        Add(PropertyId.UserProperty, PropertyType.Utf8StringPair, Everywhere);
        Add(PropertyId.MaximumPacketSize, PropertyType.FourByteInteger, PropertyScope.Connect | PropertyScope.ConnAck);
        Add(PropertyId.WildcardSubscriptionAvailable, PropertyType.Byte, PropertyScope.ConnAck);
        Add(PropertyId.SubscriptionIdentifierAvailable, PropertyType.Byte, PropertyScope.ConnAck);
        Add(PropertyId.SharedSubscriptionAvailable, PropertyType.Byte, PropertyScope.ConnAck);
        return t;
    }
}
