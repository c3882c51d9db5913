using Actors.Mqtt.Broker.Persistence;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Actors.Mqtt.Protocol.Topics;
using Akka.Actor;

namespace Actors.Mqtt.Broker.Tests.Persistence;

/// <summary>The journal format: every event and snapshot through the serializer Akka picks from reference.conf.</summary>
public sealed class JournalSerializerTests(JournalSerializerTests.SystemFixture fixture) : IClassFixture<JournalSerializerTests.SystemFixture>
{
    private readonly ActorSystem system = fixture.System;

    public static TheoryData<string> EventNames() =>
        new(Events().Select(e => e.GetType().Name));

    [Theory]
    [MemberData(nameof(EventNames))]
    public void Every_journaled_record_is_written_by_the_broker_serializer_and_reads_back_equal(string name)
    {
        var original = Events().Single(e => e.GetType().Name == name);
        var serializer = system.Serialization.FindSerializerFor(original);
        Assert.IsType<JournalSerializer>(serializer);

        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, original);
        var copy = system.Serialization.Deserialize(serializer.ToBinary(original), serializer.Identifier, manifest);

        Assert.Equal(JournalRecordText.Describe(original), JournalRecordText.Describe(copy));
    }

    [Fact]
    public void An_entry_without_a_field_added_later_reads_with_that_fields_default()
    {
        // A Qos2Received as a first version wrote it: only the packet id (field 1 = 7), before the message key existed.
        var serializer = new JournalSerializer((ExtendedActorSystem)system);

        var read = (Qos2Received)serializer.FromBinary([0x08, 0x07], "Qos2Received");

        Assert.Equal(new Qos2Received(7, 0, ContentDigest.Unknown), read);
    }

    [Fact]
    public void A_subscription_written_before_shared_ones_were_marked_reads_a_share_filter_as_shared_and_an_ordinary_one_as_it_was()
    {
        var serializer = new JournalSerializer((ExtendedActorSystem)system);

        // Subscribed as the first version wrote it: field 1 holds a subscription of client id "c" (field 1), filter
        // (field 2) and QoS 1 (field 3), and nothing that says whether the filter is shared.
        static byte[] Entry(string filter)
        {
            byte[] subscription = [0x0A, 0x01, (byte)'c', 0x12, (byte)filter.Length, .. System.Text.Encoding.UTF8.GetBytes(filter), 0x18, 0x01];
            return [0x0A, (byte)subscription.Length, .. subscription];
        }

        var shared = ((Subscribed)serializer.FromBinary(Entry("$share/g/x"), "Subscribed")).Subscriptions.Single();
        var ordinary = ((Subscribed)serializer.FromBinary(Entry("a/+"), "Subscribed")).Subscriptions.Single();

        Assert.Equal(("g", "x", QualityOfService.AtLeastOnce), (shared.Filter.ShareName, shared.Filter.Filter, shared.MaximumQoS));
        Assert.Equal((null, "a/+", "c"), (ordinary.Filter.ShareName, ordinary.Filter.Filter, ordinary.ClientId));
    }

    [Fact]
    public void A_field_written_by_a_newer_version_is_skipped()
    {
        var serializer = new JournalSerializer((ExtendedActorSystem)system);

        // Field 1 = 5 (packet id), then an unknown field 9 of each wire type: number, bytes, fixed 64 and fixed 32 bits.
        byte[] bytes = [0x08, 0x05, 0x48, 0x96, 0x01, 0x4A, 0x02, 0xAA, 0xBB, 0x49, 1, 2, 3, 4, 5, 6, 7, 8, 0x4D, 1, 2, 3, 4];
        var read = (MessageSent)serializer.FromBinary(bytes, "MessageSent");

        Assert.Equal([5], read.PacketIds);
    }

    [Fact]
    public void Single_id_events_of_the_first_version_read_as_lists_of_one_and_queued_messages_as_not_sent()
    {
        var serializer = new JournalSerializer((ExtendedActorSystem)system);
        var queued = new QueuedMessage(
            new RoutePublish(new PublishPacket { Topic = "a/b", Payload = new byte[] { 1 }, QoS = QualityOfService.AtLeastOnce, PacketId = 1 }, "p", Environment.TickCount64),
            new Delivery("c", QualityOfService.AtLeastOnce, RetainAsPublished: false, []),
            Retain: false);

        // Field 1 = 300: what MessageSent and MessageAcknowledged held when they named one packet id.
        Assert.Equal([300], ((MessageSent)serializer.FromBinary([0x08, 0xAC, 0x02], "MessageSent")).PacketIds);
        Assert.Equal([300], ((MessageAcknowledged)serializer.FromBinary([0x08, 0xAC, 0x02], "MessageAcknowledged")).PacketIds);

        // A MessageQueued of the first version is the message alone (field 1); it reads as queued, not sent.
        var firstVersion = serializer.ToBinary(new MessageQueued(queued));
        Assert.Equal(0x0A, firstVersion[0]);
        Assert.Equal(firstVersion.Length, 2 + firstVersion[1]);
        Assert.Equal(0, ((MessageQueued)serializer.FromBinary(firstVersion, "MessageQueued")).SentAs);
    }

    [Fact]
    public void The_format_of_an_event_is_fixed_to_the_byte()
    {
        var serializer = new JournalSerializer((ExtendedActorSystem)system);

        // Field 1 (varint) = 300, field 2 (zigzag varint) = -2: the key/value layout old journals hold.
        Assert.Equal(new byte[] { 0x08, 0xAC, 0x02, 0x10, 0x03 }, serializer.ToBinary(new Qos2Received(300, -2, ContentDigest.Unknown)));

        // The content digest: field 3, eight little-endian bytes.
        Assert.Equal(
            new byte[] { 0x08, 0x01, 0x10, 0x02, 0x19, 0x10, 0x32, 0x54, 0x76, 0x98, 0xBA, 0xDC, 0xFE },
            serializer.ToBinary(new Qos2Received(1, 1, 0xFEDC_BA98_7654_3210)));
        Assert.Equal(new byte[] { 0x08, 0x80, 0x80, 0x04 }, serializer.ToBinary(new SessionStarted(65536)));
        Assert.Equal(new byte[] { 0x08, 0x00, 0x08, 0xAC, 0x02, 0x08, 0x01 }, serializer.ToBinary(new MessageAcknowledged([0, 300, 1])));
    }

    [Fact]
    public void Messages_queued_together_are_each_a_MessageQueued_entry_in_a_repeated_field_1()
    {
        var serializer = new JournalSerializer((ExtendedActorSystem)system);
        var queued = new QueuedMessage(
            new RoutePublish(new PublishPacket { Topic = "t", Payload = new byte[] { 9 }, QoS = QualityOfService.AtLeastOnce, PacketId = 1 }, null, Environment.TickCount64),
            new Delivery("c", QualityOfService.AtLeastOnce, RetainAsPublished: false, []),
            Retain: false);
        var batch = serializer.ToBinary(new MessagesQueued([new MessageQueued(queued), new MessageQueued(queued, SentAs: 3)]));

        // Entry by entry, each decoded on its own: the receive time is written as wall-clock time, which may move by a
        // millisecond between two writes of the same message.
        var entries = new List<MessageQueued>();
        for (var at = 0; at < batch.Length; at += 2 + batch[at + 1])
        {
            Assert.Equal(0x0A, batch[at]);
            entries.Add((MessageQueued)serializer.FromBinary(batch[(at + 2)..(at + 2 + batch[at + 1])], "MessageQueued"));
        }

        Assert.Equal([(ushort)0, (ushort)3], entries.Select(e => e.SentAs));
        Assert.All(entries, e => Assert.Equal("t", e.Message.Publish.Message.Topic));
        var read = (MessagesQueued)serializer.FromBinary(batch, "MessagesQueued");
        Assert.Equal([0, 3], read.Messages.Select(m => (int)m.SentAs));
    }

    [Fact]
    public void An_unknown_manifest_is_refused_by_name()
    {
        var serializer = new JournalSerializer((ExtendedActorSystem)system);

        var error = Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary([], "SessionRenamed"));

        Assert.Contains("SessionRenamed", error.Message, StringComparison.Ordinal);
    }

    private static IEnumerable<object> Events()
    {
        var subscription = new Subscription("client-1", Filter("$share/group/sensors/+/temp"), QualityOfService.ExactlyOnce)
        {
            NoLocal = true,
            RetainAsPublished = true,
            RetainHandling = RetainHandling.DoNotSend,
            SubscriptionIdentifier = 42,
        };
        var will = new MqttWill("clients/1/status", new byte[] { 1, 2, 3 })
        {
            QoS = QualityOfService.AtLeastOnce,
            Retain = true,
            Properties = new MqttProperties
            {
                WillDelayInterval = 30,
                ContentType = "text/plain",
                UserProperties = [new MqttUserProperty("k", "v")],
            },
        };
        var queued = new QueuedMessage(
            new RoutePublish(
                new PublishPacket
                {
                    Topic = "sensors/a/temp",
                    Payload = new byte[] { 0x21, 0x22 },
                    QoS = QualityOfService.ExactlyOnce,
                    PacketId = 9,
                    Properties = new MqttProperties { MessageExpiryInterval = 60, CorrelationData = new byte[] { 7 } },
                },
                "publisher",
                Environment.TickCount64)
            { MessageKey = 123456789 },
            new Delivery("client-1", QualityOfService.AtLeastOnce, RetainAsPublished: true, [3, 4]),
            Retain: true);
        yield return new SessionStarted(3600);
        yield return new ExpiryChanged(uint.MaxValue);
        yield return new WillChanged(will);
        yield return new Subscribed([
            subscription,
            new Subscription("client-1", Filter("#"), QualityOfService.AtMostOnce),
            new Subscription("client-1", Literal("$share/group/sensors"), QualityOfService.AtLeastOnce),
        ]);
        yield return new Unsubscribed(["a/b", "$share/g/c"]);
        yield return new MessageQueued(queued, SentAs: 65535);
        yield return new MessagesQueued([new MessageQueued(queued), new MessageQueued(queued with { Retain = false }, SentAs: 7)]);
        yield return MessageDropped.Instance;
        yield return new MessageSent([65535, 1, 2]);
        yield return new MessageAcknowledged([1, 7]);
        yield return new MessageReceived(2);
        yield return new Qos2Received(3, long.MinValue + 1, 0xFEDC_BA98_7654_3210);
        yield return new Qos2Routed(3);
        yield return new Qos2Released(3);
        yield return new SessionDetached(DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_123));
        yield return SessionResumed.Instance;
        yield return new SessionSnapshot(
            120,
            will,
            [subscription, new Subscription("client-1", Literal("$share/group/x"), QualityOfService.AtLeastOnce)],
            [queued],
            [new InflightSnapshot(8, queued, Released: true)],
            [new InboundQos2Snapshot(11, 99, Routed: true, ulong.MaxValue)],
            8,
            DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000))
        {
            FinishedKeys = [99, long.MinValue + 1, long.MaxValue],
        };
        yield return new RetainedSet(queued.Publish);
        yield return new RetainedCleared("sensors/a/temp");
        yield return new RetainedSnapshot([queued.Publish]);
    }

    private static TopicFilter Filter(string text) =>
        TopicFilter.TryParse(text, allowShared: true, out var filter, out var error) ? filter : throw new ArgumentException(error.ToString());

    /// <summary>A filter as an MQTT 3.1.1 client subscribes to it: <c>$share/</c> has no meaning there.</summary>
    private static TopicFilter Literal(string text) =>
        TopicFilter.TryParse(text, allowShared: false, out var filter, out var error) ? filter : throw new ArgumentException(error.ToString());

    /// <summary>One actor system for the class, with the broker's serialization bindings and nothing remote.</summary>
    public sealed class SystemFixture : IDisposable
    {
        public ActorSystem System { get; } = ActorSystem.Create(
            "journal-serializer-tests",
            Akka.Configuration.ConfigurationFactory.ParseString("akka.actor.provider = local").WithFallback(BrokerSettings.Reference));

        public void Dispose() => System.Dispose();
    }
}
