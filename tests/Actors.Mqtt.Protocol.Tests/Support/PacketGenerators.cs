using System.Text;
using Actors.Mqtt.Protocol.Codec;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Actors.Mqtt.Protocol.Topics;
using CsCheck;

namespace Actors.Mqtt.Protocol.Tests.Support;

/// <summary>
/// CsCheck generators of packets that are valid for one protocol version, so that encoding them for that version
/// and decoding the bytes must give the same packet back: only fields the version carries, only the properties
/// the packet's scope allows (<see cref="PropertyRules"/>), only reason codes the packet may carry
/// (<see cref="ReasonCodes"/>), topic names and filters the decoder accepts.
/// </summary>
public static class PacketGenerators
{
    // Lazy: the generators are built from the static fields below, which are initialised in textual order.
    private static readonly Lazy<Gen<MqttPacket>> V310 = new(() => Build(MqttProtocolVersion.V310));
    private static readonly Lazy<Gen<MqttPacket>> V311 = new(() => Build(MqttProtocolVersion.V311));
    private static readonly Lazy<Gen<MqttPacket>> V500 = new(() => Build(MqttProtocolVersion.V500));
    private static readonly Lazy<Gen<PublishPacket>> V500Publish = new(() => PublishOf(MqttProtocolVersion.V500));

    /// <summary>Any packet that is valid for <paramref name="version"/> (every packet type the version has).</summary>
    public static Gen<MqttPacket> For(MqttProtocolVersion version) => version switch
    {
        MqttProtocolVersion.V310 => V310.Value,
        MqttProtocolVersion.V311 => V311.Value,
        MqttProtocolVersion.V500 => V500.Value,
        _ => throw new ArgumentOutOfRangeException(nameof(version)),
    };

    /// <summary>PUBLISH packets valid for MQTT 5.0 (properties, topic alias with an empty topic, ...).</summary>
    public static Gen<PublishPacket> PublishV500 => V500Publish.Value;

    /// <summary>The packet types <see cref="For"/> produces for <paramref name="version"/>.</summary>
    public static IReadOnlySet<PacketType> TypesFor(MqttProtocolVersion version)
    {
        var types = Enum.GetValues<PacketType>().Where(t => (int)t is >= 1 and <= 15).ToHashSet();
        if (version != MqttProtocolVersion.V500)
        {
            types.Remove(PacketType.Auth);
        }

        return types;
    }

    // ---- Text -----------------------------------------------------------------------------------------------

    /// <summary>
    /// A Unicode scalar value that is not U+0000 (MQTT-1.5.4-2) and not a surrogate, drawn so that every UTF-8
    /// length (1 to 4 bytes) is common, plus the edges of each range.
    /// </summary>
    private static readonly Gen<int> CodePoint = Gen.Frequency(
        (6, Gen.Int[0x20, 0x7E]),
        (1, Gen.Int[0x01, 0x7F]),
        (3, Gen.Int[0x80, 0x7FF]),
        (3, Gen.Int[0x800, 0xD7FF]),
        (1, Gen.Int[0xE000, 0xFFFF]),
        (3, Gen.Int[0x1_0000, 0x10_FFFF]),
        (1, Gen.OneOf(0x01, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFEFF, 0xFFFD, 0xFFFF, 0x1_0000, 0x1_F600, 0x10_FFFF)));

    /// <summary>Random valid Unicode text, possibly empty: well-formed UTF-16 (no lone surrogate), no U+0000.</summary>
    public static readonly Gen<string> Text = Chars(CodePoint, 0, 12);

    /// <summary>One topic level: text without <c>/</c>, <c>+</c> or <c>#</c>, possibly empty, sometimes starting with <c>$</c>.</summary>
    private static readonly Gen<string> TopicLevel = Gen.Frequency(
        (8, Chars(CodePoint.Where(c => c is not ('/' or '+' or '#')), 0, 6)),
        (1, Gen.OneOf("$SYS", "$", "a", string.Empty)));

    /// <summary>A topic name valid per <see cref="TopicName.TryValidate"/>: one or more levels, no wildcard.</summary>
    public static readonly Gen<string> TopicNameGen =
        TopicLevel.Array[1, 5].Select(levels => string.Join('/', levels)).Where(t => t.Length > 0);

    /// <summary>A topic filter without a share prefix: levels, single-level wildcards, and maybe a trailing <c>#</c>.</summary>
    private static readonly Gen<string> PlainTopicFilter = Gen.Select(
            Gen.Frequency((3, TopicLevel), (1, Gen.Const("+"))).Array[0, 5],
            Gen.Bool,
            (levels, multi) => multi ? [.. levels, "#"] : levels)
        .Where(levels => levels.Length > 0)
        .Select(levels => string.Join('/', levels))
        .Where(f => f.Length > 0);

    private static readonly Gen<string> ShareName =
        Chars(CodePoint.Where(c => c is not ('/' or '+' or '#')), 1, 6);

    /// <summary>A topic filter valid per <see cref="TopicFilter.TryParse"/>; shared (<c>$share/g/...</c>) only in 5.0.</summary>
    public static Gen<string> TopicFilterGen(MqttProtocolVersion version) => version == MqttProtocolVersion.V500
        ? Gen.Frequency(
            (3, PlainTopicFilter),
            (1, Gen.Select(ShareName, PlainTopicFilter, (share, filter) => $"$share/{share}/{filter}")))
        : PlainTopicFilter;

    // ---- Scalars --------------------------------------------------------------------------------------------

    private static readonly Gen<ushort> PacketId =
        Gen.Frequency((4, Gen.UShort[1, ushort.MaxValue]), (1, Gen.OneOf<ushort>(1, 2, 0x7F, 0x80, 0xFF, 0x100, ushort.MaxValue)));

    private static readonly Gen<QualityOfService> QoS =
        Gen.OneOf(QualityOfService.AtMostOnce, QualityOfService.AtLeastOnce, QualityOfService.ExactlyOnce);

    private static readonly Gen<ReadOnlyMemory<byte>> Bytes0To300 =
        Gen.Frequency((1, Gen.Byte.Array[0, 3]), (3, Gen.Byte.Array[0, 300])).Select(b => new ReadOnlyMemory<byte>(b));

    private static readonly Gen<ReadOnlyMemory<byte>> SmallBytes =
        Gen.Byte.Array[0, 24].Select(b => new ReadOnlyMemory<byte>(b));

    /// <summary>Covers every length of the variable byte integer (1 to 4 bytes) and its edges.</summary>
    private static readonly Gen<int> SubscriptionId = Gen.Frequency(
        (3, Gen.Int[1, 0x7F]),
        (2, Gen.Int[1, VariableByteInteger.MaxValue]),
        (1, Gen.OneOf(1, 0x7F, 0x80, 0x3FFF, 0x4000, 0x1F_FFFF, 0x20_0000, VariableByteInteger.MaxValue)));

    private static readonly Gen<uint> UInt32 =
        Gen.Frequency((3, Gen.UInt), (1, Gen.OneOf(0u, 1u, 0xFFu, 0x100u, 0xFFFFu, 0x1_0000u, uint.MaxValue)));

    private static readonly Gen<ushort> UInt16 =
        Gen.Frequency((3, Gen.UShort), (1, Gen.OneOf<ushort>(0, 1, 0xFF, 0x100, ushort.MaxValue)));

    /// <summary>A payload, and the payload format indicator to put beside it (null: leave it out).</summary>
    /// <remarks>Utf8 is only chosen with a payload that is well-formed UTF-8.</remarks>
    private static readonly Gen<(ReadOnlyMemory<byte> Payload, PayloadFormat? Format)> PayloadWithFormat = Gen.Frequency(
        (3, Bytes0To300.Select(p => (p, (PayloadFormat?)null))),
        (1, Bytes0To300.Select(p => (p, (PayloadFormat?)PayloadFormat.Unspecified))),
        (1, Chars(CodePoint, 0, 60)
            .Select(s => (new ReadOnlyMemory<byte>(Encoding.UTF8.GetBytes(s)), (PayloadFormat?)PayloadFormat.Utf8))));

    // ---- Properties -----------------------------------------------------------------------------------------

    /// <summary>Per property: a generator that maybe sets it on a draft (probability about 1/3).</summary>
    private static Gen<Action<PropertyDraft>>? PropertySetter(PropertyId id, PropertyScope scope)
    {
        Gen<Action<PropertyDraft>> Set<T>(Gen<T> value, Action<PropertyDraft, T> apply) =>
            Gen.Frequency(
                (2, Gen.Const<Action<PropertyDraft>>(static _ => { })),
                (1, value.Select(v => (Action<PropertyDraft>)(d => apply(d, v)))));

        return id switch
        {
            // Chosen together with the payload, which it constrains.
            PropertyId.PayloadFormatIndicator => null,
            PropertyId.MessageExpiryInterval => Set(UInt32, (d, v) => d.MessageExpiryInterval = v),
            PropertyId.ContentType => Set(Text, (d, v) => d.ContentType = v),
            PropertyId.ResponseTopic => Set(TopicNameGen, (d, v) => d.ResponseTopic = v),
            PropertyId.CorrelationData => Set(SmallBytes, (d, v) => d.CorrelationData = v),
            PropertyId.SubscriptionIdentifier => Set(
                SubscriptionId.Array[1, PropertyRules.MayRepeat(id, scope) ? 4 : 1],
                (d, v) => d.SubscriptionIdentifiers = v),
            PropertyId.SessionExpiryInterval => Set(UInt32, (d, v) => d.SessionExpiryInterval = v),
            PropertyId.AssignedClientIdentifier => Set(Text, (d, v) => d.AssignedClientIdentifier = v),
            PropertyId.ServerKeepAlive => Set(UInt16, (d, v) => d.ServerKeepAlive = v),
            PropertyId.AuthenticationMethod => Set(Text, (d, v) => d.AuthenticationMethod = v),
            PropertyId.AuthenticationData => Set(SmallBytes, (d, v) => d.AuthenticationData = v),
            PropertyId.RequestProblemInformation => Set(Gen.Bool, (d, v) => d.RequestProblemInformation = v),
            PropertyId.WillDelayInterval => Set(UInt32, (d, v) => d.WillDelayInterval = v),
            PropertyId.RequestResponseInformation => Set(Gen.Bool, (d, v) => d.RequestResponseInformation = v),
            PropertyId.ResponseInformation => Set(Text, (d, v) => d.ResponseInformation = v),
            PropertyId.ServerReference => Set(Text, (d, v) => d.ServerReference = v),
            PropertyId.ReasonString => Set(Text, (d, v) => d.ReasonString = v),
            PropertyId.ReceiveMaximum => Set(Gen.UShort[1, ushort.MaxValue], (d, v) => d.ReceiveMaximum = v),
            PropertyId.TopicAliasMaximum => Set(UInt16, (d, v) => d.TopicAliasMaximum = v),
            PropertyId.TopicAlias => Set(Gen.UShort[1, ushort.MaxValue], (d, v) => d.TopicAlias = v),
            PropertyId.MaximumQoS => Set(Gen.OneOf(QualityOfService.AtMostOnce, QualityOfService.AtLeastOnce), (d, v) => d.MaximumQoS = v),
            PropertyId.RetainAvailable => Set(Gen.Bool, (d, v) => d.RetainAvailable = v),
            PropertyId.UserProperty => Set(
                Gen.Select(Text, Text, (n, v) => new MqttUserProperty(n, v)).Array[1, 3],
                (d, v) => d.UserProperties = v),
            PropertyId.MaximumPacketSize => Set(Gen.UInt[1, uint.MaxValue], (d, v) => d.MaximumPacketSize = v),
            PropertyId.WildcardSubscriptionAvailable => Set(Gen.Bool, (d, v) => d.WildcardSubscriptionAvailable = v),
            PropertyId.SubscriptionIdentifierAvailable => Set(Gen.Bool, (d, v) => d.SubscriptionIdentifiersAvailable = v),
            PropertyId.SharedSubscriptionAvailable => Set(Gen.Bool, (d, v) => d.SharedSubscriptionAvailable = v),
            _ => throw new ArgumentOutOfRangeException(nameof(id), id, "a property without a generator"),
        };
    }

    /// <summary>
    /// A random subset of the properties <paramref name="scope"/> allows, as a draft (the payload format indicator
    /// is set by the caller that knows the payload). A quarter of the drafts are left empty on purpose.
    /// </summary>
    private static Gen<PropertyDraft> Draft(PropertyScope scope)
    {
        var setters = Enum.GetValues<PropertyId>()
            .Where(id => PropertyRules.IsAllowed(id, scope))
            .Select(id => PropertySetter(id, scope))
            .OfType<Gen<Action<PropertyDraft>>>()
            .ToArray();
        var all = setters.Aggregate(
            Gen.Const(Array.Empty<Action<PropertyDraft>>()),
            (acc, setter) => Gen.Select(acc, setter, (list, one) => (Action<PropertyDraft>[])[.. list, one]));
        return Gen.Frequency(
            (1, Gen.Const(() => new PropertyDraft())),
            (3, all.Select(actions =>
            {
                var draft = new PropertyDraft();
                foreach (var apply in actions)
                {
                    apply(draft);
                }

                return draft;
            })));
    }

    private static readonly Gen<MqttProperties?> NoProperties = Gen.Const((MqttProperties?)null);

    private static Gen<MqttProperties?> Properties(PropertyScope scope) => Draft(scope).Select(d => d.Build());

    // ---- Packets --------------------------------------------------------------------------------------------

    private static Gen<MqttPacket> Build(MqttProtocolVersion v)
    {
        var v5 = v == MqttProtocolVersion.V500;
        var gens = new List<(int, IGen<MqttPacket>)>
        {
            (3, Connect(v)),
            (2, ConnAck(v)),
            (6, Publish(v)),
            (2, PublishResponse(v, PacketType.PubAck)),
            (2, PublishResponse(v, PacketType.PubRec)),
            (2, PublishResponse(v, PacketType.PubRel)),
            (2, PublishResponse(v, PacketType.PubComp)),
            (3, Subscribe(v)),
            (2, SubAck(v)),
            (3, Unsubscribe(v)),
            (2, UnsubAck(v)),
            (1, Gen.Const<MqttPacket>(PingReqPacket.Instance)),
            (1, Gen.Const<MqttPacket>(PingRespPacket.Instance)),
            (2, Disconnect(v)),
        };
        if (v5)
        {
            gens.Add((2, Auth()));
        }

        return Gen.Frequency([.. gens]);
    }

    /// <summary>The reason codes <paramref name="type"/> may carry in MQTT 5.0.</summary>
    private static Gen<ReasonCode> ReasonCodeFor(PacketType type) =>
        Gen.OneOf(Enumerable.Range(0, 256).Select(b => (ReasonCode)b).Where(c => ReasonCodes.IsValidFor(type, c)).ToArray());

    private static Gen<MqttPacket> Connect(MqttProtocolVersion v)
    {
        var v5 = v == MqttProtocolVersion.V500;
        var will = Gen.Select(
                TopicNameGen,
                PayloadWithFormat,
                QoS,
                Gen.Bool,
                v5 ? Draft(PropertyScope.Will) : Gen.Const(() => new PropertyDraft()),
                (topic, payload, qos, retain, draft) => new MqttWill(topic, payload.Payload)
                {
                    QoS = qos,
                    Retain = retain,
                    Properties = v5 ? draft.Build(payload.Format) : null,
                })
            .Null(0.5);
        var credentials = Gen.Select(
            Text.Null(0.5),
            SmallBytes.Nullable(0.5),
            (user, password) => (User: user, Password: user is null && !v5 ? null : password));
        return Gen.Select(
            v == MqttProtocolVersion.V310 ? Chars(CodePoint, 1, 11) : Text,
            Gen.Bool,
            UInt16,
            credentials,
            will,
            v5 ? Properties(PropertyScope.Connect) : NoProperties,
            (clientId, clean, keepAlive, cred, w, properties) => (MqttPacket)new ConnectPacket
            {
                ProtocolVersion = v,

                // 3.1 wants 1 to 23 characters; 3.1.1 accepts an empty one only with Clean Session [MQTT-3.1.3-7].
                ClientId = clientId,
                CleanSession = clean || clientId.Length == 0,
                KeepAliveSeconds = keepAlive,
                UserName = cred.User,
                Password = cred.Password,
                Will = w,
                Properties = properties,
            });
    }

    private static Gen<MqttPacket> ConnAck(MqttProtocolVersion v) => v switch
    {
        MqttProtocolVersion.V500 => Gen.Select(
            Gen.Bool,
            ReasonCodeFor(PacketType.ConnAck),
            Properties(PropertyScope.ConnAck),
            (session, code, properties) => (MqttPacket)new ConnAckPacket
            {
                // A refusal never has a session [MQTT-3.2.2-6].
                SessionPresent = session && code == ReasonCode.Success,
                ReasonCode = code,
                Properties = properties,
            }),

        // The six 3.1.1 return codes, each as the reason code it decodes to, so they map back exactly.
        _ => Gen.Select(
            v == MqttProtocolVersion.V311 ? Gen.Bool : Gen.Const(false),
            Gen.OneOf(
                ReasonCode.Success,
                ReasonCode.UnsupportedProtocolVersion,
                ReasonCode.ClientIdentifierNotValid,
                ReasonCode.ServerUnavailable,
                ReasonCode.BadUserNameOrPassword,
                ReasonCode.NotAuthorized),
            (session, code) => (MqttPacket)new ConnAckPacket
            {
                // 3.1 has no such flag; in 3.1.1 a refusal never has a session [MQTT-3.2.2-4].
                SessionPresent = session && code == ReasonCode.Success,
                ReasonCode = code,
            }),
    };

    private static Gen<MqttPacket> Publish(MqttProtocolVersion v) => PublishOf(v).Select(p => (MqttPacket)p);

    private static Gen<PublishPacket> PublishOf(MqttProtocolVersion v)
    {
        var v5 = v == MqttProtocolVersion.V500;
        var qosAndId = Gen.Select(QoS, PacketId, Gen.Bool, (qos, id, dup) => qos == QualityOfService.AtMostOnce
            ? (QoS: qos, Id: (ushort)0, Dup: false)
            : (QoS: qos, Id: id, Dup: dup));
        return Gen.Select(
            TopicNameGen,
            PayloadWithFormat,
            qosAndId,
            Gen.Bool,
            v5 ? Draft(PropertyScope.Publish) : Gen.Const(() => new PropertyDraft()),
            Gen.Bool,
            (topic, payload, q, retain, draft, useAlias) =>
            {
                var properties = v5 ? draft.Build(payload.Format) : null;

                // MQTT 5.0: an empty topic name stands for the topic alias, and only then.
                var empty = useAlias && properties?.TopicAlias is not null;
                return new PublishPacket
                {
                    Topic = empty ? string.Empty : topic,
                    Payload = payload.Payload,
                    QoS = q.QoS,
                    Retain = retain,
                    Dup = q.Dup,
                    PacketId = q.Id,
                    Properties = properties,
                };
            });
    }

    private static Gen<MqttPacket> PublishResponse(MqttProtocolVersion v, PacketType type)
    {
        var v5 = v == MqttProtocolVersion.V500;
        var scope = type switch
        {
            PacketType.PubAck => PropertyScope.PubAck,
            PacketType.PubRec => PropertyScope.PubRec,
            PacketType.PubRel => PropertyScope.PubRel,
            _ => PropertyScope.PubComp,
        };
        return Gen.Select(
            PacketId,
            v5 ? ReasonCodeFor(type) : Gen.Const(ReasonCode.Success),
            v5 ? Properties(scope) : NoProperties,
            (id, code, properties) => (MqttPacket)(type switch
            {
                PacketType.PubAck => new PubAckPacket { PacketId = id, ReasonCode = code, Properties = properties },
                PacketType.PubRec => new PubRecPacket { PacketId = id, ReasonCode = code, Properties = properties },
                PacketType.PubRel => new PubRelPacket { PacketId = id, ReasonCode = code, Properties = properties },
                _ => (PublishResponsePacket)new PubCompPacket { PacketId = id, ReasonCode = code, Properties = properties },
            }));
    }

    private static Gen<MqttPacket> Subscribe(MqttProtocolVersion v)
    {
        var v5 = v == MqttProtocolVersion.V500;
        var subscription = v5
            ? Gen.Select(
                TopicFilterGen(v),
                QoS,
                Gen.Bool,
                Gen.Bool,
                Gen.OneOf(RetainHandling.SendAtSubscribe, RetainHandling.SendAtSubscribeIfNew, RetainHandling.DoNotSend),
                (filter, qos, noLocal, rap, rh) => new MqttSubscription(filter)
                {
                    MaximumQoS = qos,

                    // No Local on a shared subscription is a protocol error [MQTT-3.8.3-4].
                    NoLocal = noLocal && !IsShared(filter, v),
                    RetainAsPublished = rap,
                    RetainHandling = rh,
                })
            : Gen.Select(TopicFilterGen(v), QoS, (filter, qos) => new MqttSubscription(filter) { MaximumQoS = qos });
        return Gen.Select(
            PacketId,
            subscription.Array[1, 4],
            v5 ? Properties(PropertyScope.Subscribe) : NoProperties,
            (id, subscriptions, properties) => (MqttPacket)new SubscribePacket { PacketId = id, Subscriptions = subscriptions, Properties = properties });
    }

    private static Gen<MqttPacket> Unsubscribe(MqttProtocolVersion v) => Gen.Select(
        PacketId,
        TopicFilterGen(v).Array[1, 4],
        v == MqttProtocolVersion.V500 ? Properties(PropertyScope.Unsubscribe) : NoProperties,
        (id, filters, properties) => (MqttPacket)new UnsubscribePacket { PacketId = id, TopicFilters = filters, Properties = properties });

    private static Gen<MqttPacket> SubAck(MqttProtocolVersion v)
    {
        var v5 = v == MqttProtocolVersion.V500;
        var code = v5
            ? ReasonCodeFor(PacketType.SubAck)
            : Gen.OneOf(ReasonCode.GrantedQoS0, ReasonCode.GrantedQoS1, ReasonCode.GrantedQoS2, ReasonCode.UnspecifiedError);
        return Gen.Select(
            PacketId,
            code.Array[1, 6],
            v5 ? Properties(PropertyScope.SubAck) : NoProperties,
            (id, codes, properties) => (MqttPacket)new SubAckPacket { PacketId = id, ReasonCodes = codes, Properties = properties });
    }

    private static Gen<MqttPacket> UnsubAck(MqttProtocolVersion v) => v == MqttProtocolVersion.V500
        ? Gen.Select(
            PacketId,
            ReasonCodeFor(PacketType.UnsubAck).Array[1, 6],
            Properties(PropertyScope.UnsubAck),
            (id, codes, properties) => (MqttPacket)new UnsubAckPacket { PacketId = id, ReasonCodes = codes, Properties = properties })

        // Before 5.0 UNSUBACK has no reason codes.
        : PacketId.Select(id => (MqttPacket)new UnsubAckPacket { PacketId = id });

    private static Gen<MqttPacket> Disconnect(MqttProtocolVersion v) => v == MqttProtocolVersion.V500
        ? Gen.Select(
            ReasonCodeFor(PacketType.Disconnect),
            Properties(PropertyScope.Disconnect),
            (code, properties) => (MqttPacket)new DisconnectPacket { ReasonCode = code, Properties = properties })
        : Gen.Const<MqttPacket>(new DisconnectPacket { ReasonCode = ReasonCode.NormalDisconnection });

    private static Gen<MqttPacket> Auth() => Gen.Select(
        ReasonCodeFor(PacketType.Auth),
        Properties(PropertyScope.Auth),
        (code, properties) => (MqttPacket)new AuthPacket { ReasonCode = code, Properties = properties });

    // ---- Helpers --------------------------------------------------------------------------------------------

    private static Gen<string> Chars(Gen<int> codePoint, int min, int max) =>
        codePoint.Array[min, max].Select(cps => string.Concat(cps.Select(char.ConvertFromUtf32)));

    private static bool IsShared(string filter, MqttProtocolVersion v) =>
        TopicFilter.TryParse(filter, allowShared: v == MqttProtocolVersion.V500, out var parsed, out _) && parsed.IsShared;

    /// <summary>A mutable stand-in for <see cref="MqttProperties"/>, whose properties can only be set at construction.</summary>
    private sealed class PropertyDraft
    {
        public uint? MessageExpiryInterval { get; set; }

        public string? ContentType { get; set; }

        public string? ResponseTopic { get; set; }

        public ReadOnlyMemory<byte>? CorrelationData { get; set; }

        public int[] SubscriptionIdentifiers { get; set; } = [];

        public uint? SessionExpiryInterval { get; set; }

        public string? AssignedClientIdentifier { get; set; }

        public ushort? ServerKeepAlive { get; set; }

        public string? AuthenticationMethod { get; set; }

        public ReadOnlyMemory<byte>? AuthenticationData { get; set; }

        public bool? RequestProblemInformation { get; set; }

        public uint? WillDelayInterval { get; set; }

        public bool? RequestResponseInformation { get; set; }

        public string? ResponseInformation { get; set; }

        public string? ServerReference { get; set; }

        public string? ReasonString { get; set; }

        public ushort? ReceiveMaximum { get; set; }

        public ushort? TopicAliasMaximum { get; set; }

        public ushort? TopicAlias { get; set; }

        public QualityOfService? MaximumQoS { get; set; }

        public bool? RetainAvailable { get; set; }

        public MqttUserProperty[] UserProperties { get; set; } = [];

        public uint? MaximumPacketSize { get; set; }

        public bool? WildcardSubscriptionAvailable { get; set; }

        public bool? SubscriptionIdentifiersAvailable { get; set; }

        public bool? SharedSubscriptionAvailable { get; set; }

        /// <summary>The properties, or null when none is set (the decoder gives null for an empty block).</summary>
        public MqttProperties? Build(PayloadFormat? payloadFormat = null)
        {
            var properties = new MqttProperties
            {
                PayloadFormatIndicator = payloadFormat,
                MessageExpiryInterval = MessageExpiryInterval,
                ContentType = ContentType,
                ResponseTopic = ResponseTopic,
                CorrelationData = CorrelationData,
                SubscriptionIdentifiers = SubscriptionIdentifiers,
                SessionExpiryInterval = SessionExpiryInterval,
                AssignedClientIdentifier = AssignedClientIdentifier,
                ServerKeepAlive = ServerKeepAlive,
                AuthenticationMethod = AuthenticationMethod,

                // Authentication data without a method is a protocol error (MQTT 5.0 section 3.1.2.11.10).
                AuthenticationData = AuthenticationMethod is null ? null : AuthenticationData,
                RequestProblemInformation = RequestProblemInformation,
                WillDelayInterval = WillDelayInterval,
                RequestResponseInformation = RequestResponseInformation,
                ResponseInformation = ResponseInformation,
                ServerReference = ServerReference,
                ReasonString = ReasonString,
                ReceiveMaximum = ReceiveMaximum,
                TopicAliasMaximum = TopicAliasMaximum,
                TopicAlias = TopicAlias,
                MaximumQoS = MaximumQoS,
                RetainAvailable = RetainAvailable,
                UserProperties = UserProperties,
                MaximumPacketSize = MaximumPacketSize,
                WildcardSubscriptionAvailable = WildcardSubscriptionAvailable,
                SubscriptionIdentifiersAvailable = SubscriptionIdentifiersAvailable,
                SharedSubscriptionAvailable = SharedSubscriptionAvailable,
            };
            return properties.IsEmpty ? null : properties;
        }
    }
}
