using System.Collections;
using System.Globalization;
using System.Runtime.Serialization;
using Actors.Mqtt.Broker.Clustering;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Actors.Mqtt.Protocol.Topics;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using Microsoft.Extensions.Time.Testing;

namespace Actors.Mqtt.Broker.Tests.Clustering;

/// <summary>
/// What one node sends another: every message type through the serializer Akka picks from reference.conf, and two
/// of them over a real Akka.Remote connection. The serializer reads a fake clock (receipt times travel as ages), so
/// a message reads back exactly equal.
/// </summary>
public sealed class WireSerializerTests() : TestKit(SystemSetup(Time, LocalConfig), "wire-serializer-tests")
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);

    private static readonly FakeTimeProvider Time = new(DateTimeOffset.UtcNow);

    private static readonly Config LocalConfig = ConfigurationFactory.ParseString("akka.actor.provider = local").WithFallback(BrokerSettings.Reference);

    private static readonly Config RemoteConfig = ConfigurationFactory.ParseString("""
        akka.actor.provider = remote
        akka.actor.serialize-messages = off
        akka.remote.dot-netty.tcp {
          hostname = 127.0.0.1
          port = 0
        }
        """).WithFallback(BrokerSettings.Reference);

    public static TheoryData<string> MessageNames() =>
        new(Messages(ActorRefs.Nobody, ActorRefs.Nobody).Select(m => m.Name));

    [Theory]
    [MemberData(nameof(MessageNames))]
    public void Every_message_between_nodes_is_written_by_the_wire_serializer_and_reads_back_equal(string name)
    {
        var original = Messages(CreateTestProbe().Ref, CreateTestProbe().Ref).Single(m => m.Name == name).Message;
        var serializer = Sys.Serialization.FindSerializerFor(original);
        Assert.IsType<WireSerializer>(serializer);

        var copy = RoundTrip(original);

        Assert.Equal(Describe(original), Describe(copy));
        if (original.GetType().GetField("Instance") is { } instance && Equals(instance.GetValue(null), original))
        {
            Assert.Same(instance.GetValue(null), copy);
        }
    }

    [Theory]
    [MemberData(nameof(MessageNames))]
    public void Every_field_of_every_message_here_has_a_value_other_than_the_one_a_forgotten_field_reads_back_as(string name)
    {
        var original = Messages(CreateTestProbe().Ref, CreateTestProbe().Ref).Single(m => m.Name == name).Message;

        Assert.Empty(Defaults(original, original.GetType().Name));
    }

    [Fact]
    public void Every_message_type_marked_for_the_wire_is_one_of_those_tested_here()
    {
        var marked = typeof(IWireMessage).Assembly.GetTypes().Where(t => t.IsClass && typeof(IWireMessage).IsAssignableFrom(t)).Select(t => t.Name);
        var tested = Messages(ActorRefs.Nobody, ActorRefs.Nobody).Select(m => m.Message.GetType().Name);

        Assert.Equal(marked.Order(), tested.Distinct().Order());
    }

    [Fact]
    public void An_actor_reference_reads_back_as_the_same_actor_and_a_missing_one_as_null()
    {
        var session = CreateTestProbe();
        var connection = CreateTestProbe();

        var attached = (SessionAttached)RoundTrip(new SessionAttached(session.Ref, SessionPresent: true));
        var delivered = (DeliverMessage)RoundTrip(Deliver(connection.Ref) with { SharedBy = null, Pace = null });

        Assert.Equal(session.Ref, attached.Session);
        Assert.Null(delivered.SharedBy);
        Assert.Null(delivered.Pace);
        attached.Session.Tell("hello");
        session.ExpectMsg("hello", Generous);
    }

    [Fact]
    public void A_QoS_1_message_without_a_packet_id_reads_back_without_one()
    {
        // A will and a message routed on have none; the codec needs one to write QoS 1.
        var will = new RoutePublish(new PublishPacket { Topic = "clients/1/status", Payload = new byte[] { 1 }, QoS = QualityOfService.AtLeastOnce }, "1", Time.Milliseconds());

        var copy = (DeliverMessage)RoundTrip(new DeliverMessage(will, new Delivery("c", QualityOfService.AtLeastOnce, false, [])));

        Assert.Equal((QualityOfService.AtLeastOnce, (ushort)0), (copy.Publish.Message.QoS, copy.Publish.Message.PacketId));
    }

    [Fact]
    public void A_payload_marked_UTF_8_that_is_not_reads_back_as_it_was()
    {
        // The codec refuses such a PUBLISH; the broker never checks a will's payload, and publishes the will as it is.
        byte[] invalid = [0xC3, 0x28];
        var properties = new MqttProperties { PayloadFormatIndicator = PayloadFormat.Utf8, WillDelayInterval = 5 };
        var will = new MqttWill("clients/1/status", invalid) { QoS = QualityOfService.AtLeastOnce, Properties = properties };
        var published = new PublishPacket { Topic = "clients/1/status", Payload = invalid, Properties = new MqttProperties { PayloadFormatIndicator = PayloadFormat.Utf8 } };

        var attach = (AttachSession)RoundTrip(new AttachSession("c", CreateTestProbe().Ref, MqttProtocolVersion.V500, false, 0, will, 10));
        var sent = (SendToClient)RoundTrip(new SendToClient(published));

        Assert.Equal(invalid, attach.Will!.Payload.ToArray());
        Assert.Equal(PayloadFormat.Utf8, attach.Will.Properties!.PayloadFormatIndicator);
        Assert.Equal(invalid, ((PublishPacket)sent.Packet).Payload.ToArray());
    }

    [Fact]
    public void A_SUBSCRIBE_and_an_UNSUBSCRIBE_of_a_client_before_MQTT_5_with_a_filter_5_reads_as_a_malformed_shared_one_read_back_as_they_were()
    {
        // $share/x is an ordinary filter in 3.1.1 and a shared subscription without a filter in 5.0.
        var subscribe = new SubscribePacket { PacketId = 3, Subscriptions = [new MqttSubscription("$share/x") { MaximumQoS = QualityOfService.AtLeastOnce }, new MqttSubscription("a/#")] };
        var unsubscribe = new UnsubscribePacket { PacketId = 4, TopicFilters = ["$share/x", "$share//y"] };

        var subscribed = (SubscribeRequest)RoundTrip(new SubscribeRequest(subscribe, [false, true]));
        var unsubscribed = (UnsubscribeRequest)RoundTrip(new UnsubscribeRequest(unsubscribe));

        Assert.Equal(Describe(subscribe), Describe(subscribed.Packet));
        Assert.Equal(Describe(unsubscribe), Describe(unsubscribed.Packet));
    }

    [Fact]
    public void The_receipt_time_travels_as_an_age_counted_back_from_the_receiving_nodes_clock()
    {
        var message = new InboundQos2(Publish(), Time.Milliseconds() - 1500);
        var bytes = Sys.Serialization.FindSerializerFor(message).ToBinary(message);

        // Another node's monotonic clock has another origin.
        var otherTime = new FakeTimeProvider(DateTimeOffset.UtcNow);
        otherTime.Advance(TimeSpan.FromHours(1));
        var other = ActorSystem.Create("wire-other-clock", SystemSetup(otherTime, LocalConfig));
        try
        {
            var read = (InboundQos2)other.Serialization.Deserialize(bytes, 1884, "InboundQos2");

            Assert.Equal(otherTime.Milliseconds() - 1500, read.ReceivedAt);
        }
        finally
        {
            Shutdown(other);
        }
    }

    [Fact]
    public void An_unknown_manifest_is_refused_by_name()
    {
        var serializer = (WireSerializer)Sys.Serialization.FindSerializerFor(new RemoveClient("c"));

        var error = Assert.Throws<SerializationException>(() => serializer.FromBinary([], "SessionRenamed"));

        Assert.Contains("SessionRenamed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_DeliverMessage_and_a_SendToClient_cross_Akka_Remote_from_one_actor_system_to_another_unchanged()
    {
        var sender = ActorSystem.Create("sender", SystemSetup(Time, RemoteConfig));
        var receiver = ActorSystem.Create("receiver", SystemSetup(Time, RemoteConfig));
        try
        {
            var probe = CreateTestProbe(receiver);
            var confirmTo = CreateTestProbe(sender);
            var receiverAddress = ((ExtendedActorSystem)receiver).Provider.DefaultAddress;
            var target = ((ExtendedActorSystem)sender).Provider.ResolveActorRef(probe.Ref.Path.ToStringWithAddress(receiverAddress));
            var payload = Enumerable.Range(0, 1024).Select(i => (byte)i).ToArray();
            var deliver = Deliver(confirmTo.Ref, payload);
            var send = new SendToClient(Publish(payload)) { Pace = new PaceMark(confirmTo.Ref, 5, 2) };

            target.Tell(deliver);
            target.Tell(send);

            var arrived = probe.ExpectMsg<DeliverMessage>(Generous);
            Assert.Equal(Describe(deliver), Describe(arrived));
            Assert.Equal(Describe(send), Describe(probe.ExpectMsg<SendToClient>(Generous)));

            // A reference that crossed reaches the actor on the sending side.
            arrived.Publish.Confirm!.To.Tell(new WriteConfirmed(1, Stored: true));
            Assert.Equal(new WriteConfirmed(1, Stored: true), confirmTo.ExpectMsg<WriteConfirmed>(Generous));
        }
        finally
        {
            Shutdown(sender);
            Shutdown(receiver);
        }
    }

    private object RoundTrip(object message)
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        return Sys.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, manifest);
    }

    private static ActorSystemSetup SystemSetup(TimeProvider time, Config config) =>
        ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(config)).And(new WireClockSetup(time));

    /// <summary>One of each message, every field set to something other than its type's default; a few twice.</summary>
    private static IEnumerable<(string Name, object Message)> Messages(IActorRef first, IActorRef second)
    {
        var deliver = Deliver(first) with { SharedBy = second };
        var attach = new AttachSession("client-1", first, MqttProtocolVersion.V311, CleanStart: true, 3600, Will(), 20);
        object[] messages =
        [
            new AddSubscriptions(
                first,
                [
                    new Subscription("client-1", Filter("$share/group/sensors/+"), QualityOfService.ExactlyOnce)
                    {
                        NoLocal = true,
                        RetainAsPublished = true,
                        RetainHandling = RetainHandling.DoNotSend,
                        SubscriptionIdentifier = 42,
                    },
                    new Subscription("client-1", Literal("$share/g"), QualityOfService.AtLeastOnce)
                    {
                        NoLocal = true,
                        RetainAsPublished = true,
                        RetainHandling = RetainHandling.SendAtSubscribeIfNew,
                        SubscriptionIdentifier = 268_435_455,
                    },
                ],
                Durable: true,
                Connected: true)
            {
                AwaitId = 17,
            },
            new RemoveSubscriptions("client-1", ["a/b", "$share/g/c"]),
            new RemoveClient("client-1"),
            new SessionPresence("client-1", Connected: true),
            deliver,
            new SharedDeliveryRefused(deliver),
            new RouteCounted(long.MaxValue, 3, Matched: true),
            new WriteConfirmed(-7, Stored: true, RoutedWrites: 4),
            new Paced(long.MinValue, 12),
            new SessionEnvelope("client-1", deliver),
            new SessionEnvelope("client-1", attach),
            attach,
            new SessionAttached(first, SessionPresent: true),
            new DetachSession(second, PublishWill: true, SessionExpiryInterval: uint.MaxValue),
            SessionTakenOver.Instance,
            new SubscribeRequest(
                new SubscribePacket
                {
                    PacketId = 7,
                    Subscriptions =
                    [
                        new MqttSubscription("a/+/c") { MaximumQoS = QualityOfService.ExactlyOnce, NoLocal = true, RetainAsPublished = true, RetainHandling = RetainHandling.DoNotSend },
                        new MqttSubscription("$share/g/d") { MaximumQoS = QualityOfService.AtLeastOnce },
                    ],
                    Properties = new MqttProperties { SubscriptionIdentifiers = [9], UserProperties = [new("k", "v")] },
                },
                [true, false]),
            new UnsubscribeRequest(new UnsubscribePacket { PacketId = 8, TopicFilters = ["a/+/c", "$share/g/d"], Properties = new MqttProperties { UserProperties = [new("k", "v")] } }),
            new OutboundAcknowledged([1, 65535], [2]),
            new OutboundDiscarded(65535),
            new ProtocolViolation(new MqttError(ReasonCode.ProtocolError, "PUBREL for a packet id that is not in flight", "MQTT-4.3.3-7")),
            new OutboundReceived(300, ReasonCode.QuotaExceeded),
            new InboundQos2(Publish(), Time.Milliseconds() - 2500),
            new InboundRelease(9),
            new SendToClient(Publish()) { Pace = new PaceMark(second, 77, 3) },
            new SendToClient(new PubRelPacket { PacketId = 10, ReasonCode = ReasonCode.PacketIdentifierNotFound }) { Pace = new PaceMark(second, 1, 1) },
            new SendToClient(new PubCompPacket { PacketId = 11, ReasonCode = ReasonCode.PacketIdentifierNotFound }) { Pace = new PaceMark(second, 1, 1) },
            new SendToClient(new SubAckPacket { PacketId = 12, ReasonCodes = [ReasonCode.GrantedQoS2, ReasonCode.NotAuthorized, ReasonCode.QuotaExceeded] }) { Pace = new PaceMark(second, 1, 1) },
            new SendToClient(new UnsubAckPacket { PacketId = 13, ReasonCodes = [ReasonCode.Success, ReasonCode.NoSubscriptionExisted] }) { Pace = new PaceMark(second, 1, 1) },
            new InboundQos2Done(65535, ReasonCode.NoMatchingSubscribers, Durable: true),
            new WakeUp(DateTimeOffset.FromUnixTimeMilliseconds(1_765_000_000_123)),
            SessionAwake.Instance,
            SessionUnreadable.Instance,
            SessionWriteFailed.Instance,
            new PeerChange(new AddSubscriptions(first, [new Subscription("client-2", Filter("a/#"), QualityOfService.AtLeastOnce) { NoLocal = true, RetainAsPublished = true, RetainHandling = RetainHandling.DoNotSend, SubscriptionIdentifier = 1 }], Durable: true, Connected: true) { AwaitId = 3 }, 8),
            new PeerChange(new RemoveSubscriptions("client-2", ["a/#"]), 9),
            new PeerChange(new RemoveClient("client-2"), 10),
            new PeerChange(new SessionPresence("client-2", Connected: true), 11),
            new PeerChangeHeld(long.MaxValue),
            PeerHello.Instance,
            PeerWelcome.Instance,
            new StoreRetained(Publish(), Time.Milliseconds() - 300) { Confirm = new Confirmation(second, 5) },
            new QueryRetained([new Subscription("client-3", Filter("sensors/#"), QualityOfService.ExactlyOnce) { NoLocal = true, RetainAsPublished = true, RetainHandling = RetainHandling.SendAtSubscribeIfNew, SubscriptionIdentifier = 2 }]),
            new RetainedMatches(
                new Subscription("client-3", Filter("sensors/#"), QualityOfService.ExactlyOnce) { NoLocal = true, RetainAsPublished = true, RetainHandling = RetainHandling.SendAtSubscribeIfNew, SubscriptionIdentifier = 2 },
                [Deliver(first).Publish]),
        ];
        return messages.Select(m => (m switch
        {
            SessionEnvelope e => $"SessionEnvelope({e.Message.GetType().Name})",
            SendToClient s => $"SendToClient({s.Packet.Type})",
            PeerChange c => $"PeerChange({c.Change.GetType().Name})",
            _ => m.GetType().Name,
        }, m));
    }

    private static DeliverMessage Deliver(IActorRef waiter, byte[]? payload = null) => new(
        new RoutePublish(Publish(payload), "publisher", Time.Milliseconds() - 1234)
        {
            Confirm = new Confirmation(waiter, 99),
            MessageKey = long.MinValue + 1,
            Rerouted = true,
            Pace = new PaceMark(waiter, 5, 2),
        },
        new Delivery("client-1", QualityOfService.AtLeastOnce, RetainAsPublished: true, [3, 268_435_455]) { Group = new SharedGroup("group", "sensors/+") },
        MustConfirm: true,
        RoutedWrites: 2)
    {
        Pace = new PaceMark(waiter, 6, 4),
        SharedBy = waiter,
        RefusedBy = ["member-1", "member-2"],
    };

    /// <summary>A PUBLISH with MQTT 5.0 properties, the topic alias absent (the connection sets it per client).</summary>
    private static PublishPacket Publish(byte[]? payload = null) => new()
    {
        Topic = "sensors/a/temp",
        Payload = payload ?? "21.5"u8.ToArray(),
        QoS = QualityOfService.ExactlyOnce,
        Retain = true,
        Dup = true,
        PacketId = 4242,
        Properties = new MqttProperties
        {
            PayloadFormatIndicator = PayloadFormat.Utf8,
            MessageExpiryInterval = 60,
            ContentType = "text/plain",
            ResponseTopic = "replies/a",
            CorrelationData = new byte[] { 7, 8, 9 },
            SubscriptionIdentifiers = [3, 268_435_455],
            UserProperties = [new("unit", "C"), new("unit", "K")],
        },
    };

    private static MqttWill Will() => new("clients/1/status", new byte[] { 0, 1, 2 })
    {
        QoS = QualityOfService.ExactlyOnce,
        Retain = true,
        Properties = new MqttProperties
        {
            WillDelayInterval = 30,
            PayloadFormatIndicator = PayloadFormat.Unspecified,
            MessageExpiryInterval = 600,
            ContentType = "application/octet-stream",
            ResponseTopic = "clients/1/replies",
            CorrelationData = new byte[] { 1 },
            UserProperties = [new("k", "v")],
        },
    };

    private static TopicFilter Filter(string text) =>
        TopicFilter.TryParse(text, allowShared: true, out var filter, out var error) ? filter : throw new ArgumentException(error.ToString());

    /// <summary>A filter as an MQTT 3.1.1 client subscribes to it: <c>$share/</c> has no meaning there.</summary>
    private static TopicFilter Literal(string text) =>
        TopicFilter.TryParse(text, allowShared: false, out var filter, out var error) ? filter : throw new ArgumentException(error.ToString());

    /// <summary>
    /// A structural text of a message: lists and payloads by content (records compare them by reference), properties
    /// by their values, an actor reference by its actor system, path and uid (the address differs on each side).
    /// </summary>
    private static string Describe(object? value) => value switch
    {
        null => "null",
        string s => '"' + s + '"',
        ReadOnlyMemory<byte> bytes => Convert.ToHexString(bytes.Span),
        DateTimeOffset time => time.ToString("O", CultureInfo.InvariantCulture),
        IActorRef actor => $"{actor.Path.Address.System}:{actor.Path.ToStringWithoutAddress()}#{actor.Path.Uid}",
        IEnumerable list => "[" + string.Join(", ", list.Cast<object>().Select(Describe)) + "]",
        _ when value.GetType().IsPrimitive || value is Enum => value.ToString()!,
        _ => value.GetType().Name + "{" + string.Join(", ", Properties(value).Select(p => p.Name + "=" + Describe(p.GetValue(value)))) + "}",
    };

    /// <summary>
    /// The fields of the broker's own records (recursively) that hold their type's default, or an empty list or text:
    /// what a field the serializer forgets reads back as, so a test value must be another. The protocol's packets are
    /// the codec's, tested there.
    /// </summary>
    private static IEnumerable<string> Defaults(object? value, string path)
    {
        if (value is null || value is string { Length: 0 } || value is ICollection { Count: 0 }
            || (value.GetType().IsValueType && value.Equals(Activator.CreateInstance(value.GetType()))))
        {
            return [path];
        }

        if (value is IEnumerable list and not string)
        {
            return list.Cast<object>().SelectMany((item, i) => IsBrokers(item) ? Defaults(item, $"{path}[{i}]") : []);
        }

        return IsBrokers(value) ? Properties(value).SelectMany(p => Defaults(p.GetValue(value), $"{path}.{p.Name}")) : [];
    }

    private static bool IsBrokers(object value) => value.GetType().Assembly == typeof(IWireMessage).Assembly;

    private static IEnumerable<System.Reflection.PropertyInfo> Properties(object value) =>
        value.GetType().GetProperties().Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract");
}
