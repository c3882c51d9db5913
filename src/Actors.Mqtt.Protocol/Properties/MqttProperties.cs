namespace Actors.Mqtt.Protocol.Properties;

/// <summary>
/// The MQTT 5.0 properties of one packet (or of a will). Immutable once built; absent properties are null or
/// empty. Which ones a packet may carry is checked by the codec against <see cref="PropertyRules"/>. The codec
/// writes them in ascending identifier order, user properties in the order given.
/// </summary>
public sealed class MqttProperties
{
    public static readonly MqttProperties Empty = new();

    // The fields are written directly by the decoder, which cannot call init accessors.
    internal PayloadFormat? RawPayloadFormatIndicator;

    /// <summary>PUBLISH, will.</summary>
    public PayloadFormat? PayloadFormatIndicator { get => RawPayloadFormatIndicator; init => RawPayloadFormatIndicator = value; }

    internal uint? RawMessageExpiryInterval;

    /// <summary>PUBLISH, will: seconds.</summary>
    public uint? MessageExpiryInterval { get => RawMessageExpiryInterval; init => RawMessageExpiryInterval = value; }

    internal string? RawContentType;

    /// <summary>PUBLISH, will.</summary>
    public string? ContentType { get => RawContentType; init => RawContentType = value; }

    internal string? RawResponseTopic;

    /// <summary>PUBLISH, will.</summary>
    public string? ResponseTopic { get => RawResponseTopic; init => RawResponseTopic = value; }

    internal ReadOnlyMemory<byte>? RawCorrelationData;

    /// <summary>PUBLISH, will.</summary>
    public ReadOnlyMemory<byte>? CorrelationData { get => RawCorrelationData; init => RawCorrelationData = value; }

    internal IReadOnlyList<int> RawSubscriptionIdentifiers = [];

    /// <summary>PUBLISH (any number), SUBSCRIBE (at most one): 1 to 268 435 455.</summary>
    public IReadOnlyList<int> SubscriptionIdentifiers { get => RawSubscriptionIdentifiers; init => RawSubscriptionIdentifiers = value; }

    internal uint? RawSessionExpiryInterval;

    /// <summary>CONNECT, CONNACK, DISCONNECT: seconds.</summary>
    public uint? SessionExpiryInterval { get => RawSessionExpiryInterval; init => RawSessionExpiryInterval = value; }

    internal string? RawAssignedClientIdentifier;

    /// <summary>CONNACK.</summary>
    public string? AssignedClientIdentifier { get => RawAssignedClientIdentifier; init => RawAssignedClientIdentifier = value; }

    internal ushort? RawServerKeepAlive;

    /// <summary>CONNACK: seconds.</summary>
    public ushort? ServerKeepAlive { get => RawServerKeepAlive; init => RawServerKeepAlive = value; }

    internal string? RawAuthenticationMethod;

    /// <summary>CONNECT, CONNACK, AUTH.</summary>
    public string? AuthenticationMethod { get => RawAuthenticationMethod; init => RawAuthenticationMethod = value; }

    internal ReadOnlyMemory<byte>? RawAuthenticationData;

    /// <summary>CONNECT, CONNACK, AUTH.</summary>
    public ReadOnlyMemory<byte>? AuthenticationData { get => RawAuthenticationData; init => RawAuthenticationData = value; }

    internal bool? RawRequestProblemInformation;

    /// <summary>CONNECT.</summary>
    public bool? RequestProblemInformation { get => RawRequestProblemInformation; init => RawRequestProblemInformation = value; }

    internal uint? RawWillDelayInterval;

    /// <summary>will: seconds.</summary>
    public uint? WillDelayInterval { get => RawWillDelayInterval; init => RawWillDelayInterval = value; }

    internal bool? RawRequestResponseInformation;

    /// <summary>CONNECT.</summary>
    public bool? RequestResponseInformation { get => RawRequestResponseInformation; init => RawRequestResponseInformation = value; }

    internal string? RawResponseInformation;

    /// <summary>CONNACK.</summary>
    public string? ResponseInformation { get => RawResponseInformation; init => RawResponseInformation = value; }

    internal string? RawServerReference;

    /// <summary>CONNACK, DISCONNECT.</summary>
    public string? ServerReference { get => RawServerReference; init => RawServerReference = value; }

    internal string? RawReasonString;

    /// <summary>CONNACK, acknowledgements, DISCONNECT, AUTH.</summary>
    public string? ReasonString { get => RawReasonString; init => RawReasonString = value; }

    internal ushort? RawReceiveMaximum;

    /// <summary>CONNECT, CONNACK: 1 to 65 535.</summary>
    public ushort? ReceiveMaximum { get => RawReceiveMaximum; init => RawReceiveMaximum = value; }

    internal ushort? RawTopicAliasMaximum;

    /// <summary>CONNECT, CONNACK.</summary>
    public ushort? TopicAliasMaximum { get => RawTopicAliasMaximum; init => RawTopicAliasMaximum = value; }

    internal ushort? RawTopicAlias;

    /// <summary>PUBLISH: 1 to the receiver's Topic Alias Maximum.</summary>
    public ushort? TopicAlias { get => RawTopicAlias; init => RawTopicAlias = value; }

    internal QualityOfService? RawMaximumQoS;

    /// <summary>CONNACK: 0 or 1 (absent means 2).</summary>
    public QualityOfService? MaximumQoS { get => RawMaximumQoS; init => RawMaximumQoS = value; }

    internal bool? RawRetainAvailable;

    /// <summary>CONNACK.</summary>
    public bool? RetainAvailable { get => RawRetainAvailable; init => RawRetainAvailable = value; }

    internal IReadOnlyList<MqttUserProperty> RawUserProperties = [];

    /// <summary>every packet with properties, and the will.</summary>
    public IReadOnlyList<MqttUserProperty> UserProperties { get => RawUserProperties; init => RawUserProperties = value; }

    internal uint? RawMaximumPacketSize;

    /// <summary>CONNECT, CONNACK: bytes, at least 1.</summary>
    public uint? MaximumPacketSize { get => RawMaximumPacketSize; init => RawMaximumPacketSize = value; }

    internal bool? RawWildcardSubscriptionAvailable;

    /// <summary>CONNACK.</summary>
    public bool? WildcardSubscriptionAvailable { get => RawWildcardSubscriptionAvailable; init => RawWildcardSubscriptionAvailable = value; }

    internal bool? RawSubscriptionIdentifiersAvailable;

    /// <summary>CONNACK.</summary>
    public bool? SubscriptionIdentifiersAvailable { get => RawSubscriptionIdentifiersAvailable; init => RawSubscriptionIdentifiersAvailable = value; }

    internal bool? RawSharedSubscriptionAvailable;

    /// <summary>CONNACK.</summary>
    public bool? SharedSubscriptionAvailable { get => RawSharedSubscriptionAvailable; init => RawSharedSubscriptionAvailable = value; }

    /// <summary>True when no property is set, so MQTT 5.0 writes a zero property length.</summary>
    public bool IsEmpty =>
        RawPayloadFormatIndicator is null
        && RawMessageExpiryInterval is null
        && RawContentType is null
        && RawResponseTopic is null
        && RawCorrelationData is null
        && RawSubscriptionIdentifiers.Count == 0
        && RawSessionExpiryInterval is null
        && RawAssignedClientIdentifier is null
        && RawServerKeepAlive is null
        && RawAuthenticationMethod is null
        && RawAuthenticationData is null
        && RawRequestProblemInformation is null
        && RawWillDelayInterval is null
        && RawRequestResponseInformation is null
        && RawResponseInformation is null
        && RawServerReference is null
        && RawReasonString is null
        && RawReceiveMaximum is null
        && RawTopicAliasMaximum is null
        && RawTopicAlias is null
        && RawMaximumQoS is null
        && RawRetainAvailable is null
        && RawUserProperties.Count == 0
        && RawMaximumPacketSize is null
        && RawWildcardSubscriptionAvailable is null
        && RawSubscriptionIdentifiersAvailable is null
        && RawSharedSubscriptionAvailable is null;

    /// <summary>A copy with another topic alias: how a sender swaps aliases on a message it forwards.</summary>
    public MqttProperties WithTopicAlias(ushort? topicAlias)
    {
        var copy = (MqttProperties)MemberwiseClone();
        copy.RawTopicAlias = topicAlias;
        return copy;
    }
}
