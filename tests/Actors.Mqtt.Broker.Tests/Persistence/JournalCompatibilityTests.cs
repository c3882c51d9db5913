using System.Runtime.CompilerServices;
using Actors.Mqtt.Broker.Persistence;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Sessions;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Actors.Mqtt.Protocol.Topics;
using Akka.Actor;
using Google.Protobuf;
using Proto = Actors.Mqtt.Broker.Persistence.Proto;

namespace Actors.Mqtt.Broker.Tests.Persistence;

/// <summary>
/// Journals written by earlier versions must read back: JournalFixtures/ holds the bytes a version wrote for every
/// journaled record, with every field set, and these tests read them with the serializer of today.
/// </summary>
public sealed class JournalCompatibilityTests(JournalSerializerTests.SystemFixture fixture) : IClassFixture<JournalSerializerTests.SystemFixture>
{
    private const string HandWritten = "2026-12-hand-written.txt";

    private readonly ActorSystem system = fixture.System;

    public static TheoryData<string> CaseNames() => new(Cases().Select(c => c.Name));

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Events_written_by_the_2026_12_hand_written_serializer_read_back_equal(string name)
    {
        var (_, manifest, expected) = Cases().Single(c => c.Name == name);
        var (fixtureManifest, bytes) = Fixture(HandWritten)[name];
        var serializer = new JournalSerializer((ExtendedActorSystem)system);

        var read = serializer.FromBinary(bytes, fixtureManifest);

        Assert.Equal(manifest, fixtureManifest);
        Assert.Equal(JournalRecordText.Describe(expected), JournalRecordText.Describe(read));
    }

    [Fact]
    public void The_fixture_has_an_entry_for_each_case_and_all_twenty_manifests_of_the_hand_written_serializer()
    {
        var entries = Fixture(HandWritten);

        Assert.Equal(Cases().Select(c => c.Name).Order(), entries.Keys.Order());
        Assert.Equal(20, entries.Values.Select(e => e.Manifest).Distinct().Count());
    }

    /// <summary>
    /// The schema holds each old entry field for field: parsed as the message of its manifest's name and written again,
    /// it is the same bytes, so no field number, wire type or packing differs. New bytes need not equal old ones, only
    /// read the same; they differ where these cases do not go, in ways the old reader read alike: an empty string
    /// outside a list is left out (the old writer wrote it), and a 0 among subscription identifiers or finished keys is
    /// written (the old writer left it out). A snapshot detached exactly at the Unix epoch now keeps that time; the old
    /// writer left it out, so it read back as attached.
    /// </summary>
    [Theory]
    [MemberData(nameof(CaseNames))]
    public void The_schema_writes_each_entry_of_the_hand_written_serializer_back_to_the_byte(string name)
    {
        var (manifest, bytes) = Fixture(HandWritten)[name];
        var message = Proto.JournalReflection.Descriptor.MessageTypes.Single(m => m.Name == manifest);

        Assert.Equal(Convert.ToHexString(bytes), Convert.ToHexString(message.Parser.ParseFrom(bytes).ToByteArray()));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Each_case_written_today_reads_back_equal(string name)
    {
        var record = Cases().Single(c => c.Name == name).Record;
        var serializer = new JournalSerializer((ExtendedActorSystem)system);

        var read = serializer.FromBinary(serializer.ToBinary(record), serializer.Manifest(record));

        Assert.Equal(JournalRecordText.Describe(record), JournalRecordText.Describe(read));
    }

    private static Dictionary<string, (string Manifest, byte[] Bytes)> Fixture(string file) =>
        File.ReadAllLines(Path.Combine(FixtureFolder(), file))
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split(' '))
            .ToDictionary(f => f[0], f => (f[1], f[2] == "-" ? Array.Empty<byte>() : Convert.FromHexString(f[2])));

    private static string FixtureFolder([CallerFilePath] string source = "") =>
        Path.Combine(Path.GetDirectoryName(source)!, "JournalFixtures");

    /// <summary>
    /// Every journaled record with every field away from its default, PUBLISH packets with MQTT 5 properties, and the
    /// shapes a field's absence stands for (no will, a snapshot of nothing, a message without publisher). The packets
    /// are as the journal keeps them: no packet id at QoS 0.
    /// </summary>
    private static IEnumerable<(string Name, string Manifest, object Record)> Cases()
    {
        var mqtt5 = new Subscription("client-1", Filter("sensors/+/temp"), QualityOfService.ExactlyOnce)
        {
            NoLocal = true,
            RetainAsPublished = true,
            RetainHandling = RetainHandling.DoNotSend,
            SubscriptionIdentifier = 268_435_455,
        };
        var shared = new Subscription("client-1", Filter("$share/group/sensors/#"), QualityOfService.AtLeastOnce)
        {
            RetainHandling = RetainHandling.SendAtSubscribeIfNew,
            SubscriptionIdentifier = 42,
        };
        var plain = new Subscription("client-1", Filter("#"), QualityOfService.AtMostOnce);

        // An MQTT 3.1.1 client's filter: $share/ is literal there, which only field 8 of a subscription tells.
        var literal = new Subscription("client-1", Literal("$share/group/sensors"), QualityOfService.AtLeastOnce);
        var will = new MqttWill("clients/1/status", new byte[] { 1, 2, 3 })
        {
            QoS = QualityOfService.ExactlyOnce,
            Retain = true,
            Properties = new MqttProperties
            {
                WillDelayInterval = 30,
                PayloadFormatIndicator = PayloadFormat.Utf8,
                MessageExpiryInterval = 600,
                ContentType = "text/plain",
                ResponseTopic = "clients/1/reply",
                CorrelationData = new byte[] { 0xC0, 0xFF, 0xEE },
                UserProperties = [new MqttUserProperty("k", "v"), new MqttUserProperty("k", "w")],
            },
        };
        var will311 = new MqttWill("clients/2/status", new byte[] { 0 }) { QoS = QualityOfService.AtLeastOnce };
        var publish = new RoutePublish(
            new PublishPacket
            {
                Topic = "sensors/a/temp",
                Payload = "21.5 °C"u8.ToArray(),
                QoS = QualityOfService.ExactlyOnce,
                Dup = true,
                PacketId = 9,
                Properties = new MqttProperties
                {
                    PayloadFormatIndicator = PayloadFormat.Utf8,
                    MessageExpiryInterval = 60,
                    ContentType = "text/plain; charset=utf-8",
                    ResponseTopic = "replies/a",
                    CorrelationData = new byte[] { 7, 0, 7 },
                    UserProperties = [new MqttUserProperty("unit", "celsius"), new MqttUserProperty("ünï", "cödé")],
                },
            },
            "publisher",
            At(1_790_000_000_500))
        {
            MessageKey = 123_456_789_012,
        };
        var retained = new RoutePublish(
            new PublishPacket { Topic = "status/a", Payload = new byte[] { 1 }, QoS = QualityOfService.AtMostOnce, Retain = true },
            null,
            At(1_790_000_001_500))
        {
            MessageKey = -987_654_321,
        };
        var queued = new QueuedMessage(publish, new Delivery("client-1", QualityOfService.AtLeastOnce, RetainAsPublished: true, [3, 268_435_455]), Retain: true);
        var queuedQos2 = new QueuedMessage(
            publish with { Message = publish.Message with { Dup = false, PacketId = 65535 }, MessageKey = 0 },
            new Delivery("client-1", QualityOfService.ExactlyOnce, RetainAsPublished: false, []),
            Retain: false);
        var snapshot = new SessionSnapshot(
            120,
            will,
            [mqtt5, shared, plain, literal],
            [queued, queuedQos2],
            [new InflightSnapshot(8, queued, Released: true), new InflightSnapshot(65535, queuedQos2, Released: false)],
            [new InboundQos2Snapshot(11, 99, Routed: true, ContentDigest.Unknown), new InboundQos2Snapshot(65535, long.MinValue, Routed: false, ContentDigest.Unknown)],
            65535,
            DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000))
        {
            FinishedKeys = [99, -5, long.MinValue + 1, long.MaxValue],
        };

        yield return ("SessionStarted", "SessionStarted", new SessionStarted(3600));
        yield return ("ExpiryChanged", "ExpiryChanged", new ExpiryChanged(uint.MaxValue));
        yield return ("WillChanged", "WillChanged", new WillChanged(will));
        yield return ("WillChanged-without-properties", "WillChanged", new WillChanged(will311));
        yield return ("WillChanged-no-will", "WillChanged", new WillChanged(null));
        yield return ("Subscribed", "Subscribed", new Subscribed([mqtt5, shared, plain, literal]));
        yield return ("Unsubscribed", "Unsubscribed", new Unsubscribed(["a/b", "$share/g/c", "ü/€/#"]));
        yield return ("MessageQueued", "MessageQueued", new MessageQueued(queued, SentAs: 65535));
        yield return ("MessageQueued-not-sent", "MessageQueued", new MessageQueued(queuedQos2));
        yield return ("MessagesQueued", "MessagesQueued", new MessagesQueued([new MessageQueued(queued), new MessageQueued(queuedQos2, SentAs: 7)]));
        yield return ("MessageDropped", "MessageDropped", MessageDropped.Instance);
        yield return ("MessageSent", "MessageSent", new MessageSent([65535, 1, 300]));
        yield return ("MessageAcknowledged", "MessageAcknowledged", new MessageAcknowledged([7, 300, 65535]));
        yield return ("MessageReceived", "MessageReceived", new MessageReceived(65535));
        yield return ("Qos2Received", "Qos2Received", new Qos2Received(3, long.MinValue + 1, ContentDigest.Unknown));
        yield return ("Qos2Received-positive-key", "Qos2Received", new Qos2Received(300, long.MaxValue, ContentDigest.Unknown));
        yield return ("Qos2Routed", "Qos2Routed", new Qos2Routed(300));
        yield return ("Qos2Released", "Qos2Released", new Qos2Released(65535));
        yield return ("SessionDetached", "SessionDetached", new SessionDetached(DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_123)));
        yield return ("SessionResumed", "SessionResumed", SessionResumed.Instance);
        yield return ("SessionSnapshot", "SessionSnapshot", snapshot);
        yield return ("SessionSnapshot-empty", "SessionSnapshot", new SessionSnapshot(0, null, [], [], [], [], 0, null));
        yield return ("RetainedSet", "RetainedSet", new RetainedSet(publish));
        yield return ("RetainedCleared", "RetainedCleared", new RetainedCleared("status/ä"));
        yield return ("RetainedSnapshot", "RetainedSnapshot", new RetainedSnapshot([publish, retained]));
    }

    /// <summary>A receipt time in process ticks for a wall-clock instant, as the journal gives it back.</summary>
    private static long At(long unixMilliseconds) => JournalFormats.FromUnixMilliseconds(unixMilliseconds);

    private static TopicFilter Filter(string text) =>
        TopicFilter.TryParse(text, allowShared: true, out var filter, out var error) ? filter : throw new ArgumentException(error.ToString());

    private static TopicFilter Literal(string text) =>
        TopicFilter.TryParse(text, allowShared: false, out var filter, out var error) ? filter : throw new ArgumentException(error.ToString());
}
