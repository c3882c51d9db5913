using System.Text;
using System.Text.Json;
using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Codec;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Integration.Tests.Durability;

/// <summary>
/// <c>actors-mqtt journal replay</c> against the store of a broker started as the README starts it (defaults: a SQLite
/// file under data/ in its working folder), while that broker runs.
/// </summary>
[Collection(nameof(RunsAlone))]
public sealed class JournalReplayTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("actors-mqtt-replay-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task Replay_prints_a_sessions_events_in_order_as_JSON_lines_with_payloads_as_size_and_hash()
    {
        await using var broker = await StartAsync();
        var clientId = "audit-" + Guid.NewGuid().ToString("N")[..8];
        await PersistentSessionWithOneQueuedMessageAsync(broker, clientId, "secret-reading");

        var (exit, stdout, stderr) = await BrokerProcess.RunToolAsync(folder, "journal", "replay", "--client-id", clientId);

        Assert.True(exit == 0, stderr);
        var events = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.Equal(
            ["SessionStarted", "WillChanged", "Subscribed", "SessionDetached", "MessageQueued"],
            events.Select(e => e.GetProperty("event").GetString()));
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.GetProperty("seq").GetInt64()));
        Assert.All(events, e => Assert.True(e.GetProperty("time").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-10)));
        var queued = events[^1];
        Assert.Equal($"audit/{clientId}", queued.GetProperty("topic").GetString());
        Assert.Equal("secret-reading".Length, queued.GetProperty("payloadBytes").GetInt32());
        Assert.Equal(64, queued.GetProperty("payloadSha256").GetString()!.Length);
        Assert.False(queued.TryGetProperty("payload", out _));
        Assert.DoesNotContain("secret-reading", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Events_behind_a_snapshot_are_kept_for_audit_only_when_asked(bool retain)
    {
        await using var broker = await StartAsync(
            "actors-mqtt.persistence.snapshot-every=2",
            $"actors-mqtt.persistence.audit.retain-events={(retain ? "on" : "off")}");
        var clientId = "audit-" + Guid.NewGuid().ToString("N")[..8];
        await PersistentSessionWithOneQueuedMessageAsync(broker, clientId, "snap");
        var settings = new[] { "--set", "actors-mqtt.persistence.snapshot-every=2", "--set", $"actors-mqtt.persistence.audit.retain-events={(retain ? "on" : "off")}" };

        var (exit, stdout, stderr) = await BrokerProcess.RunToolAsync(folder, ["journal", "replay", "--client-id", clientId, .. settings]);

        var first = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("seq").GetInt64()).FirstOrDefault();
        if (retain)
        {
            Assert.True(exit == 0, stderr);
            Assert.Equal(1, first);
        }
        else
        {
            // Snapshots were taken after events 2 and 4 at least: what came before them is gone, and the tool says why.
            Assert.True(exit == 1 || first > 1, $"exit {exit}, first event {first}");
            Assert.Contains("retain-events", stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Payloads_are_shown_only_when_asked_for()
    {
        await using var broker = await StartAsync();
        var clientId = "audit-" + Guid.NewGuid().ToString("N")[..8];
        await PersistentSessionWithOneQueuedMessageAsync(broker, clientId, "reading-42");

        var (exit, stdout, stderr) = await BrokerProcess.RunToolAsync(folder, "journal", "replay", "--client-id", clientId, "--payloads");

        Assert.True(exit == 0, stderr);
        var queued = JsonDocument.Parse(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;
        Assert.Equal("reading-42", Encoding.UTF8.GetString(queued.GetProperty("payload").GetBytesFromBase64()));
    }

    [Fact]
    public async Task A_client_id_without_a_journal_says_so_and_exits_non_zero()
    {
        await using var broker = await StartAsync();
        var (exit, stdout, stderr) = await BrokerProcess.RunToolAsync(folder, "journal", "replay", "--client-id", "nobody-here");

        Assert.Equal(1, exit);
        Assert.Empty(stdout);
        Assert.Contains("no journaled events for client id 'nobody-here'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("spec", "MQTT-3.1.2-23")]
    public async Task An_expired_session_leaves_no_journal_behind()
    {
        await using var broker = await StartAsync();
        var clientId = "audit-" + Guid.NewGuid().ToString("N")[..8];
        var (client, _) = await RawClient.ConnectAsync(broker.EndPoint, new ConnectPacket
        {
            ProtocolVersion = MqttProtocolVersion.V500,
            ClientId = clientId,
            CleanSession = false,
            Properties = new Protocol.Properties.MqttProperties { SessionExpiryInterval = 5 },
        });
        await using (client)
        {
            await client.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription("audit/expiry") { MaximumQoS = QualityOfService.AtLeastOnce }] });
            await client.ReceiveAsync<SubAckPacket>();
            await client.SendAsync(new DisconnectPacket());
            await client.ExpectClosedAsync();
        }

        var (before, _, _) = await BrokerProcess.RunToolAsync(folder, "journal", "replay", "--client-id", clientId);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var (after, _, errors) = (0, string.Empty, string.Empty);
        while (after == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
            (after, _, errors) = await BrokerProcess.RunToolAsync(folder, "journal", "replay", "--client-id", clientId);
        }

        Assert.Equal(0, before);
        Assert.Equal(1, after);
        Assert.Contains("no journaled events", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_time_range_selects_events_by_when_they_were_written()
    {
        await using var broker = await StartAsync();
        var clientId = "audit-" + Guid.NewGuid().ToString("N")[..8];
        await PersistentSessionWithOneQueuedMessageAsync(broker, clientId, "x");
        var future = DateTimeOffset.UtcNow.AddHours(1).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        var past = DateTimeOffset.UtcNow.AddHours(-1).ToString("O", System.Globalization.CultureInfo.InvariantCulture);

        var (none, _, noneErrors) = await BrokerProcess.RunToolAsync(folder, "journal", "replay", "--client-id", clientId, "--from", future);
        var (all, allOut, allErrors) = await BrokerProcess.RunToolAsync(folder, "journal", "replay", "--client-id", clientId, "--from", past, "--to", future);

        Assert.Equal(1, none);
        Assert.Contains("in that time range", noneErrors, StringComparison.Ordinal);
        Assert.True(all == 0, allErrors);
        Assert.Equal(5, allOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task Messages_queued_while_a_write_is_on_its_way_are_one_event_that_replays_and_recovers_in_order()
    {
        const int Count = 200;
        var clientId = "audit-" + Guid.NewGuid().ToString("N")[..8];
        var topic = $"audit/{clientId}";
        var subscribe = new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V311, ClientId = clientId, CleanSession = false };
        string? journalProblem;
        await using (var broker = await StartAsync())
        {
            await SubscribeAndGoOfflineAsync(broker, subscribe, topic);

            // All PUBLISH packets in one write: the session gets them faster than its first write comes back.
            var (publisher, _) = await RawClient.ConnectAsync(broker.EndPoint, new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V311, ClientId = "p-" + clientId });
            await using (publisher)
            {
                var burst = new System.Buffers.ArrayBufferWriter<byte>();
                for (var i = 1; i <= Count; i++)
                {
                    MqttPacketEncoder.Encode(new PublishPacket { Topic = topic, Payload = Encoding.UTF8.GetBytes($"m{i}"), QoS = QualityOfService.AtLeastOnce, PacketId = (ushort)i }, MqttProtocolVersion.V311, burst);
                }

                await publisher.SendBytesAsync(burst.WrittenSpan.ToArray());
                for (var i = 0; i < Count; i++)
                {
                    await publisher.ReceiveAsync<PubAckPacket>();
                }
            }

            var (exit, stdout, stderr) = await BrokerProcess.RunToolAsync(folder, "journal", "replay", "--client-id", clientId, "--payloads");

            Assert.True(exit == 0, stderr);
            var events = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();
            var queued = events
                .SelectMany(e => e.GetProperty("event").GetString() switch
                {
                    "MessageQueued" => [e],
                    "MessagesQueued" => e.GetProperty("messages").EnumerateArray().ToArray(),
                    _ => Array.Empty<JsonElement>(),
                })
                .Select(m => Encoding.UTF8.GetString(m.GetProperty("payload").GetBytesFromBase64()))
                .ToList();
            // On a mismatch, the journal as the tool printed it (without payload bytes) says what happened; the check waits
            // for the recovery below, so that a failure also says whether the messages were lost or only not read back.
            journalProblem = Enumerable.Range(1, Count).Select(i => $"m{i}").SequenceEqual(queued)
                ? null
                : $"queued in the journal: {string.Join(' ', queued)}\njournal:\n{string.Join('\n', events.Select(Summary))}";
            Assert.Contains(events, e => e.GetProperty("event").GetString() == "MessagesQueued" && e.GetProperty("messages").GetArrayLength() > 1);
        }

        // A new broker process rebuilds the queue from those events.
        var received = new List<string>();
        await using (var broker = await StartAsync())
        {
            var (subscriber, connAck) = await RawClient.ConnectAsync(broker.EndPoint, subscribe);
            await using (subscriber)
            {
                Assert.True(connAck.SessionPresent);
                try
                {
                    while (received.Count < Count)
                    {
                        var publish = await subscriber.ReceiveAsync<PublishPacket>(TimeSpan.FromSeconds(journalProblem is null ? 30 : 5));
                        received.Add(Encoding.UTF8.GetString(publish.Payload.Span));
                        await subscriber.SendAsync(new PubAckPacket { PacketId = publish.PacketId });
                    }
                }
                catch (TimeoutException) when (journalProblem is not null)
                {
                    // What the recovered session still had is in the message below.
                }
            }
        }

        Assert.True(journalProblem is null, $"{journalProblem}\nafter a restart the session delivered: {string.Join(' ', received)}");
        Assert.Equal(Enumerable.Range(1, Count).Select(i => $"m{i}"), received);
    }

    private static string Summary(JsonElement e)
    {
        var name = e.GetProperty("event").GetString();
        var size = name == "MessagesQueued" ? $" ({e.GetProperty("messages").GetArrayLength()} messages)" : string.Empty;
        var sequence = e.TryGetProperty("seq", out var nr) ? nr.ToString() : "?";
        return $"{sequence} {name}{size}";
    }

    private async Task<BrokerProcess> StartAsync(params string[] settings)
    {
        var broker = new BrokerProcess(folder, settings);
        await broker.StartAsync();
        return broker;
    }

    private static async Task PersistentSessionWithOneQueuedMessageAsync(BrokerProcess broker, string clientId, string payload)
    {
        var topic = $"audit/{clientId}";
        await SubscribeAndGoOfflineAsync(broker, new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V311, ClientId = clientId, CleanSession = false }, topic);

        var (publisher, _) = await RawClient.ConnectAsync(broker.EndPoint, new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V311, ClientId = "p-" + clientId });
        await using (publisher)
        {
            await publisher.SendAsync(new PublishPacket { Topic = topic, Payload = Encoding.UTF8.GetBytes(payload), QoS = QualityOfService.AtLeastOnce, PacketId = 1 });
            await publisher.ReceiveAsync<PubAckPacket>();
        }
    }

    /// <summary>A persistent session subscribed at QoS 1 to <paramref name="topic"/>, its client gone.</summary>
    private static async Task SubscribeAndGoOfflineAsync(BrokerProcess broker, ConnectPacket connect, string topic)
    {
        var (subscriber, _) = await RawClient.ConnectAsync(broker.EndPoint, connect);
        await using (subscriber)
        {
            await subscriber.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription(topic) { MaximumQoS = QualityOfService.AtLeastOnce }] });
            await subscriber.ReceiveAsync<SubAckPacket>();
            await subscriber.SendAsync(new DisconnectPacket());
            await subscriber.ExpectClosedAsync();
        }
    }
}
