using System.Text;
using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using V = Actors.Mqtt.Protocol.MqttProtocolVersion;

namespace Actors.Mqtt.Integration.Tests.Durability;

/// <summary>
/// Sessions and retained messages on a real SQLite file across a restart of the broker: what was acknowledged before
/// the restart is delivered after it, exactly once for QoS 2.
/// </summary>
public class RestartTests
{
    public static TheoryData<V> PersistentVersions() => [V.V311, V.V500];

    [Theory]
    [MemberData(nameof(PersistentVersions))]
    [Trait("spec", "MQTT-4.1.0-1")]
    [Trait("spec", "MQTT-3.1.2-5")]
    public async Task Messages_queued_for_an_offline_session_are_delivered_after_a_restart(V version)
    {
        await using var store = new SqliteBroker();
        var broker = await store.StartAsync();
        var id = NewId();
        var topic = NewTopic("queued");
        var (subscriber, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, id, clean: false, expiry: 3600));
        await SubscribeAsync(subscriber, topic, QualityOfService.ExactlyOnce);
        await DisconnectAsync(subscriber);

        await using (var publisher = await ConnectPublisherAsync(broker, version))
        {
            await PublishAllAsync(publisher, topic, count: 40);
        }

        broker = await store.RestartAsync();

        var (resumed, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, id, clean: false, expiry: 3600));
        await using (resumed)
        {
            Assert.True(connAck.SessionPresent);
            var received = await ReceiveAndAcknowledgeAsync(resumed, 40);
            Assert.Equal(Enumerable.Range(0, 40).Select(i => $"m{i}"), received);
            await resumed.ExpectNothingAsync(TimeSpan.FromMilliseconds(500));
        }
    }

    [Fact]
    [Trait("spec", "MQTT-4.1.0-1")]
    public async Task A_subscription_of_an_offline_session_receives_what_is_published_after_a_restart()
    {
        await using var store = new SqliteBroker();
        var broker = await store.StartAsync();
        var id = NewId();
        var topic = NewTopic("after");
        var (subscriber, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V500, id, clean: false, expiry: 3600));
        await SubscribeAsync(subscriber, topic, QualityOfService.AtLeastOnce);
        await DisconnectAsync(subscriber);

        broker = await store.RestartAsync();
        await using (var publisher = await ConnectPublisherAsync(broker))
        {
            await PublishAllAsync(publisher, topic, count: 3);
        }

        var (resumed, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V500, id, clean: false, expiry: 3600));
        await using (resumed)
        {
            Assert.Equal(["m0", "m1", "m2"], await ReceiveAndAcknowledgeAsync(resumed, 3));
        }
    }

    [Fact]
    [Trait("spec", "MQTT-4.4.0-1")]
    public async Task A_message_in_flight_before_a_restart_is_sent_again_with_DUP_and_its_packet_id()
    {
        await using var store = new SqliteBroker();
        var broker = await store.StartAsync();
        var id = NewId();
        var topic = NewTopic("inflight");
        var (subscriber, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V311, id, clean: false));
        await SubscribeAsync(subscriber, topic, QualityOfService.AtLeastOnce);
        await using (var publisher = await ConnectPublisherAsync(broker, V.V311))
        {
            await PublishAllAsync(publisher, topic, count: 1);
        }

        var first = await subscriber.ReceiveAsync<PublishPacket>();
        Assert.False(first.Dup);
        await subscriber.DisposeAsync();

        broker = await store.RestartAsync();
        var (resumed, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V311, id, clean: false));
        await using (resumed)
        {
            var again = await resumed.ReceiveAsync<PublishPacket>();
            Assert.True(again.Dup);
            Assert.Equal(first.PacketId, again.PacketId);
            Assert.Equal("m0", Encoding.UTF8.GetString(again.Payload.Span));
        }
    }

    [Fact]
    [Trait("spec", "MQTT-4.3.3-10")]
    public async Task An_inbound_QoS_2_packet_id_held_before_a_restart_is_not_delivered_twice_on_the_publishers_retry()
    {
        await using var store = new SqliteBroker();
        var broker = await store.StartAsync();
        var topic = NewTopic("qos2");
        var subscriberId = NewId();
        var (subscriber, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V500, subscriberId, clean: false, expiry: 3600));
        await SubscribeAsync(subscriber, topic, QualityOfService.ExactlyOnce);
        await DisconnectAsync(subscriber);

        var publisherId = NewId();
        var publish = new PublishPacket { Topic = topic, Payload = Encoding.UTF8.GetBytes("once"), QoS = QualityOfService.ExactlyOnce, PacketId = 7 };
        var (publisher, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V500, publisherId, clean: false, expiry: 3600));
        await using (publisher)
        {
            await publisher.SendAsync(publish);
            Assert.Equal(ReasonCode.Success, (await publisher.ReceiveAsync<PubRecPacket>()).ReasonCode);
        }

        broker = await store.RestartAsync();
        var (retry, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V500, publisherId, clean: false, expiry: 3600));
        await using (retry)
        {
            Assert.True(connAck.SessionPresent);
            await retry.SendAsync(publish with { Dup = true });
            Assert.Equal(7, (await retry.ReceiveAsync<PubRecPacket>()).PacketId);
            await retry.SendAsync(new PubRelPacket { PacketId = 7 });
            Assert.Equal(ReasonCode.Success, (await retry.ReceiveAsync<PubCompPacket>()).ReasonCode);
        }

        var (resumed, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V500, subscriberId, clean: false, expiry: 3600));
        await using (resumed)
        {
            Assert.Equal(["once"], await ReceiveAndAcknowledgeAsync(resumed, 1));
            await resumed.ExpectNothingAsync(TimeSpan.FromMilliseconds(700));
        }
    }

    [Fact]
    [Trait("spec", "MQTT-3.3.1-5")]
    public async Task Retained_messages_survive_a_restart_and_a_clear_does_too()
    {
        await using var store = new SqliteBroker();
        var broker = await store.StartAsync();
        var kept = NewTopic("retained-kept");
        var cleared = NewTopic("retained-cleared");
        await using (var publisher = await ConnectPublisherAsync(broker))
        {
            await PublishAsync(publisher, new PublishPacket { Topic = kept, Payload = "kept"u8.ToArray(), QoS = QualityOfService.AtLeastOnce, PacketId = 1, Retain = true });
            await PublishAsync(publisher, new PublishPacket { Topic = cleared, Payload = "gone"u8.ToArray(), QoS = QualityOfService.AtLeastOnce, PacketId = 2, Retain = true });
            await PublishAsync(publisher, new PublishPacket { Topic = cleared, QoS = QualityOfService.AtLeastOnce, PacketId = 3, Retain = true });
        }

        broker = await store.RestartAsync();
        var (subscriber, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V500, NewId()));
        await using (subscriber)
        {
            await SubscribeAsync(subscriber, kept.Split('/')[0] + "/retained-kept/#", QualityOfService.AtLeastOnce);
            var message = await subscriber.ReceiveAsync<PublishPacket>();
            Assert.True(message.Retain);
            Assert.Equal("kept", Encoding.UTF8.GetString(message.Payload.Span));
            await SubscribeAsync(subscriber, cleared, QualityOfService.AtLeastOnce, packetId: 2);
            await subscriber.ExpectNothingAsync(TimeSpan.FromMilliseconds(500));
        }
    }

    [Fact]
    [Trait("spec", "MQTT-3.1.2-23")]
    public async Task A_session_expires_by_its_interval_even_when_the_broker_was_down_meanwhile()
    {
        await using var store = new SqliteBroker();
        var broker = await store.StartAsync();
        var id = NewId();
        var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V500, id, clean: false, expiry: 2));
        await DisconnectAsync(client);
        await store.StopAsync();

        await Task.Delay(TimeSpan.FromSeconds(3));

        broker = await store.StartAsync();
        var (again, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V500, id, clean: false, expiry: 2));
        await using (again)
        {
            Assert.False(connAck.SessionPresent);
        }
    }

    [Fact]
    public async Task A_session_recovers_from_its_snapshot_and_the_events_after_it()
    {
        await using var store = new SqliteBroker("actors-mqtt.persistence.snapshot-every=7");
        var broker = await store.StartAsync();
        var id = NewId();
        var topic = NewTopic("snapshot");
        var (subscriber, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V311, id, clean: false));
        await SubscribeAsync(subscriber, topic, QualityOfService.AtLeastOnce);
        await DisconnectAsync(subscriber);
        await using (var publisher = await ConnectPublisherAsync(broker, V.V311))
        {
            await PublishAllAsync(publisher, topic, count: 25);
        }

        broker = await store.RestartAsync();

        // Snapshots are written to their own file, so that a large one never holds the journal's write lock.
        Assert.True(await SqliteBroker.CountRowsAsync(store.SnapshotDatabasePath, "snapshot", "session-" + id) > 0);
        Assert.Null(await SqliteBroker.CountRowsAsync(store.DatabasePath, "snapshot", "session-" + id));
        Assert.True(await SqliteBroker.CountRowsAsync(store.DatabasePath, "event_journal", "session-" + id) > 0);
        var (resumed, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V311, id, clean: false));
        await using (resumed)
        {
            Assert.Equal(Enumerable.Range(0, 25).Select(i => $"m{i}"), await ReceiveAndAcknowledgeAsync(resumed, 25));
        }
    }

    [Fact]
    public async Task Snapshots_kept_in_the_journal_file_by_an_earlier_version_move_to_their_own_file_and_are_recovered()
    {
        await using var store = new SqliteBroker("actors-mqtt.persistence.snapshot-every=7");
        var broker = await store.StartAsync();
        var id = NewId();
        var topic = NewTopic("layout");
        var (subscriber, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V311, id, clean: false));
        await SubscribeAsync(subscriber, topic, QualityOfService.AtLeastOnce);
        await DisconnectAsync(subscriber);
        await using (var publisher = await ConnectPublisherAsync(broker, V.V311))
        {
            await PublishAllAsync(publisher, topic, count: 25);
        }

        await store.StopAsync();
        await store.MoveSnapshotsIntoJournalFileAsync();
        Assert.False(File.Exists(store.SnapshotDatabasePath));

        // Without its snapshot the session would recover from the few events after it and miss most of its queue.
        broker = await store.StartAsync();
        Assert.True(await SqliteBroker.CountRowsAsync(store.SnapshotDatabasePath, "snapshot", "session-" + id) > 0);
        Assert.Null(await SqliteBroker.CountRowsAsync(store.DatabasePath, "snapshot", "session-" + id));
        var (resumed, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V311, id, clean: false));
        await using (resumed)
        {
            Assert.Equal(Enumerable.Range(0, 25).Select(i => $"m{i}"), await ReceiveAndAcknowledgeAsync(resumed, 25));
        }
    }

    /// <summary>
    /// MQTT 3.1.1 has no shared subscriptions: <c>$share/g/...</c> is an ordinary filter there, matching only the topic
    /// of that name. A restart must recover it as it was granted, not read it again as MQTT 5 would.
    /// </summary>
    [Fact]
    [Trait("spec", "MQTT-4.1.0-1")]
    public async Task A_3_1_1_subscription_to_a_literal_share_filter_stays_literal_after_a_restart()
    {
        await using var store = new SqliteBroker();
        var broker = await store.StartAsync();
        var id = NewId();
        var plain = $"literal-{Guid.NewGuid():N}";
        var literal = "$share/g/" + plain;
        var (subscriber, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V311, id, clean: false));
        await SubscribeAsync(subscriber, literal, QualityOfService.AtLeastOnce);
        await PublishToBothAsync(broker, plain, literal);
        Assert.Equal(["to-literal"], await ReceiveAndAcknowledgeAsync(subscriber, 1));
        await subscriber.ExpectNothingAsync(TimeSpan.FromMilliseconds(500));
        await DisconnectAsync(subscriber);

        broker = await store.RestartAsync();
        await PublishToBothAsync(broker, plain, literal);

        var (resumed, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V311, id, clean: false));
        await using (resumed)
        {
            Assert.True(connAck.SessionPresent);
            Assert.Equal(["to-literal"], await ReceiveAndAcknowledgeAsync(resumed, 1));
            await resumed.ExpectNothingAsync(TimeSpan.FromMilliseconds(500));
        }
    }

    /// <summary>One QoS 1 message to the topic a shared subscription <c>$share/g/{plain}</c> would match, then one to
    /// the topic named like the filter.</summary>
    [Fact]
    [Trait("spec", "MQTT-4.1.0-1")]
    public async Task A_session_whose_events_all_lie_behind_its_snapshot_still_receives_after_a_restart()
    {
        // A snapshot after every event: the events behind it are deleted each time, up to the last one.
        await using var store = new SqliteBroker("actors-mqtt.persistence.snapshot-every=1");
        var broker = await store.StartAsync();
        var id = NewId();
        var topic = NewTopic("snapshotted");
        var (subscriber, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V500, id, clean: false, expiry: 3600));
        await SubscribeAsync(subscriber, topic, QualityOfService.AtLeastOnce);
        await DisconnectAsync(subscriber);
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while (!await store.IsSnapshottedToTheLastEventAsync("session-" + id))
            {
                await Task.Delay(50, deadline.Token);
            }
        }

        // The deletion behind that last snapshot follows it at once; a moment lets it land before the broker stops.
        await Task.Delay(TimeSpan.FromSeconds(1));

        broker = await store.RestartAsync();
        await using (var publisher = await ConnectPublisherAsync(broker))
        {
            await PublishAsync(publisher, new PublishPacket { Topic = topic, Payload = "after"u8.ToArray(), QoS = QualityOfService.AtLeastOnce, PacketId = 1 });
        }

        var (resumed, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(V.V500, id, clean: false, expiry: 3600));
        await using (resumed)
        {
            Assert.True(connAck.SessionPresent);
            Assert.Equal(["after"], await ReceiveAndAcknowledgeAsync(resumed, 1));
        }
    }

    // A session without expiry ends with its connection, and the takeover closes that connection before the new CONNECT
    // looks for a session (Mosquitto answers session present 0 here too).
    [Theory]
    [MemberData(nameof(PersistentVersions))]
    public async Task A_clean_session_taken_over_by_a_persistent_CONNECT_starts_a_new_session_that_survives_a_restart(V version)
    {
        await using var store = new SqliteBroker();
        var broker = await store.StartAsync();
        var id = NewId();
        var before = NewTopic("clean-before");
        var topic = NewTopic("durable-after");
        var (clean, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, id, clean: true));
        await using (clean)
        {
            await SubscribeAsync(clean, before, QualityOfService.AtLeastOnce);

            // The clean session ends with the connection taken over: what follows is a new session, journaled from its start.
            var (persistent, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, id, clean: false, expiry: 3600));
            Assert.False(connAck.SessionPresent);
            await SubscribeAsync(persistent, topic, QualityOfService.AtLeastOnce);
            await DisconnectAsync(persistent);
        }

        await using (var publisher = await ConnectPublisherAsync(broker, version))
        {
            await PublishAsync(publisher, new PublishPacket { Topic = before, Payload = "old"u8.ToArray(), QoS = QualityOfService.AtLeastOnce, PacketId = 1 });
            await PublishAllAsync(publisher, topic, count: 6);
        }

        broker = await store.RestartAsync();

        var (resumed, resumedAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, id, clean: false, expiry: 3600));
        await using (resumed)
        {
            Assert.True(resumedAck.SessionPresent);
            Assert.Equal(Enumerable.Range(0, 6).Select(i => $"m{i}"), await ReceiveAndAcknowledgeAsync(resumed, 6));
            await resumed.ExpectNothingAsync(TimeSpan.FromMilliseconds(500));
        }
    }

    private static async Task PublishToBothAsync(BrokerFixture broker, string plain, string literal)
    {
        await using var publisher = await ConnectPublisherAsync(broker, V.V311);
        await PublishAsync(publisher, new PublishPacket { Topic = plain, Payload = "to-plain"u8.ToArray(), QoS = QualityOfService.AtLeastOnce, PacketId = 1 });
        await PublishAsync(publisher, new PublishPacket { Topic = literal, Payload = "to-literal"u8.ToArray(), QoS = QualityOfService.AtLeastOnce, PacketId = 2 });
    }

    private static async Task<RawClient> ConnectPublisherAsync(BrokerFixture broker, V version = V.V500)
    {
        var (publisher, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(version, NewId()));
        Assert.Equal(ReasonCode.Success, connAck.ReasonCode);
        return publisher;
    }

    /// <summary>Publishes m0..m{count-1}, QoS 1 and 2 alternating, each acknowledged before the next.</summary>
    private static async Task PublishAllAsync(RawClient publisher, string topic, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var qos = i % 2 == 0 ? QualityOfService.AtLeastOnce : QualityOfService.ExactlyOnce;
            await PublishAsync(publisher, new PublishPacket { Topic = topic, Payload = Encoding.UTF8.GetBytes($"m{i}"), QoS = qos, PacketId = (ushort)(i + 1) });
        }
    }

    private static async Task PublishAsync(RawClient publisher, PublishPacket publish)
    {
        await publisher.SendAsync(publish);
        if (publish.QoS == QualityOfService.AtLeastOnce)
        {
            Assert.Equal(publish.PacketId, (await publisher.ReceiveAsync<PubAckPacket>()).PacketId);
            return;
        }

        Assert.Equal(publish.PacketId, (await publisher.ReceiveAsync<PubRecPacket>()).PacketId);
        await publisher.SendAsync(new PubRelPacket { PacketId = publish.PacketId });
        Assert.Equal(publish.PacketId, (await publisher.ReceiveAsync<PubCompPacket>()).PacketId);
    }

    /// <summary>Receives <paramref name="count"/> messages, completing each QoS 1 and 2 exchange, and returns their payloads.</summary>
    private static async Task<List<string>> ReceiveAndAcknowledgeAsync(RawClient client, int count)
    {
        var payloads = new List<string>();
        var awaitingRelease = new HashSet<ushort>();
        while (payloads.Count < count || awaitingRelease.Count > 0)
        {
            var packet = await client.ReceiveAsync();
            switch (packet)
            {
                case PublishPacket { QoS: QualityOfService.AtLeastOnce } p:
                    payloads.Add(Encoding.UTF8.GetString(p.Payload.Span));
                    await client.SendAsync(new PubAckPacket { PacketId = p.PacketId });
                    break;
                case PublishPacket { QoS: QualityOfService.ExactlyOnce } p:
                    payloads.Add(Encoding.UTF8.GetString(p.Payload.Span));
                    awaitingRelease.Add(p.PacketId);
                    await client.SendAsync(new PubRecPacket { PacketId = p.PacketId });
                    break;
                case PubRelPacket rel:
                    awaitingRelease.Remove(rel.PacketId);
                    await client.SendAsync(new PubCompPacket { PacketId = rel.PacketId });
                    break;
                case PublishPacket p:
                    payloads.Add(Encoding.UTF8.GetString(p.Payload.Span));
                    break;
                default:
                    Assert.Fail($"unexpected {packet.Type}");
                    break;
            }
        }

        return payloads;
    }

    private static string NewId() => "d-" + Guid.NewGuid().ToString("N")[..16];

    private static string NewTopic(string prefix) => $"durable/{prefix}/{Guid.NewGuid():N}";

    private static ConnectPacket Connect(V version, string clientId, bool clean = true, uint? expiry = null) => new()
    {
        ProtocolVersion = version,
        ClientId = clientId,
        CleanSession = clean,
        Properties = version == V.V500 && expiry is { } e ? new MqttProperties { SessionExpiryInterval = e } : null,
    };

    private static async Task SubscribeAsync(RawClient client, string filter, QualityOfService qos, ushort packetId = 1)
    {
        await client.SendAsync(new SubscribePacket { PacketId = packetId, Subscriptions = [new MqttSubscription(filter) { MaximumQoS = qos }] });
        var ack = await client.ReceiveAsync<SubAckPacket>();
        Assert.Equal([(ReasonCode)(byte)qos], ack.ReasonCodes);
    }

    private static async Task DisconnectAsync(RawClient client)
    {
        await using (client)
        {
            await client.SendAsync(new DisconnectPacket());
            Assert.Empty(await client.ExpectClosedAsync());
        }
    }
}
