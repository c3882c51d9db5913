using System.Text;
using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Microsoft.Data.Sqlite;
using V = Actors.Mqtt.Protocol.MqttProtocolVersion;

namespace Actors.Mqtt.Integration.Tests.Durability;

/// <summary>
/// A broker process whose SQLite journal holds one session that cannot be read (its rows overwritten with bytes no
/// version wrote): the broker starts as usual, without reading any session; that one is logged and left stopped when its
/// client comes back, which is refused.
/// </summary>
[Collection(nameof(RunsAlone))]
public sealed class UnreadableJournalTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("actors-mqtt-unreadable-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    [Trait("spec", "MQTT-3.2.2-5 (3.1.1)")]
    [Trait("spec", "MQTT-3.2.2-7")]
    public async Task One_unreadable_session_is_logged_and_refused_while_the_other_sessions_and_the_listeners_start()
    {
        var database = Path.Combine(folder, "broker.db");
        await using var broker = new BrokerProcess(folder, "actors-mqtt.persistence.store=sqlite", $"actors-mqtt.persistence.sqlite.path={database}");
        await broker.StartAsync();
        var good = "good-" + Guid.NewGuid().ToString("N")[..12];
        var bad = "bad-" + Guid.NewGuid().ToString("N")[..12];
        var goodTopic = $"unreadable/{good}";
        var badTopic = $"unreadable/{bad}";
        await SubscribeAndLeaveAsync(broker, good, goodTopic);
        await SubscribeAndLeaveAsync(broker, bad, badTopic);
        await PublishAsync(broker, goodTopic, "for-good");
        await PublishAsync(broker, badTopic, "for-bad");
        await broker.KillAsync();

        Assert.True(await OverwriteEventsAsync(database, "session-" + bad) > 0);

        var output = broker.Output.Length;
        await broker.StartAsync();

        var (resumed, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Persistent(good));
        await using (resumed)
        {
            Assert.True(connAck.SessionPresent);
            var message = await resumed.ReceiveAsync<PublishPacket>();
            Assert.Equal("for-good", Encoding.UTF8.GetString(message.Payload.Span));
            await resumed.SendAsync(new PubAckPacket { PacketId = message.PacketId });
        }

        // Sessions sleep at start (their subscriptions come from the session index): the unreadable one is read, and
        // found unreadable, only when something comes for it.
        var startLog = broker.Output[output..];
        Assert.True(Lines(startLog, bad) == 0, $"the unreadable session was read at start:\n{startLog}");

        // The session's state is unknown: the client is told so, rather than handed an empty session in its place.
        output = broker.Output.Length;
        var (refused, refusal) = await RawClient.ConnectAsync(broker.EndPoint, Persistent(bad));
        await using (refused)
        {
            Assert.Equal(ReasonCode.ServerUnavailable, refusal.ReasonCode);
            Assert.Empty(await refused.ExpectClosedAsync());
        }

        var (refusedV5, refusalV5) = await RawClient.ConnectAsync(broker.EndPoint, new ConnectPacket { ProtocolVersion = V.V500, ClientId = bad, CleanSession = false });
        await using (refusedV5)
        {
            Assert.Equal(ReasonCode.UnspecifiedError, refusalV5.ReasonCode);
            Assert.Empty(await refusedV5.ExpectClosedAsync());
        }

        // The log is written behind the CONNACK.
        await Task.Delay(500);
        var connectLog = broker.Output[output..];
        Assert.True(Lines(connectLog, bad, "\"RemoteEndPoint\"") == 2, $"each refused connection is not logged once with its address:\n{connectLog}");
        Assert.True(Lines(connectLog, bad, "could not be read after event") == 2, $"the journal is not logged unreadable once per attempt:\n{connectLog}");
    }

    private static int Lines(string log, string clientId, string also = "") =>
        log.Split('\n').Count(line => line.Contains(clientId, StringComparison.Ordinal) && line.Contains(also, StringComparison.Ordinal));

    /// <summary>Replaces the payload of every journal row of <paramref name="persistenceId"/> with bytes that are no
    /// record, and returns how many rows it changed.</summary>
    private static async Task<int> OverwriteEventsAsync(string database, string persistenceId)
    {
        SqliteConnection.ClearAllPools();
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var update = connection.CreateCommand();
        update.CommandText = "UPDATE event_journal SET payload = $garbage WHERE persistence_id = $id";
        update.Parameters.AddWithValue("$garbage", new byte[] { 0xFF, 0xFF, 0xFF, 0xFF });
        update.Parameters.AddWithValue("$id", persistenceId);
        return await update.ExecuteNonQueryAsync();
    }

    private static ConnectPacket Persistent(string clientId) => new()
    {
        ProtocolVersion = V.V311,
        ClientId = clientId,
        CleanSession = false,
    };

    private static async Task SubscribeAndLeaveAsync(BrokerProcess broker, string clientId, string topic)
    {
        var (subscriber, _) = await RawClient.ConnectAsync(broker.EndPoint, Persistent(clientId));
        await using (subscriber)
        {
            await subscriber.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription(topic) { MaximumQoS = QualityOfService.AtLeastOnce }] });
            Assert.Equal([ReasonCode.GrantedQoS1], (await subscriber.ReceiveAsync<SubAckPacket>()).ReasonCodes);
            await subscriber.SendAsync(new DisconnectPacket());
            await subscriber.ExpectClosedAsync();
        }
    }

    private static async Task PublishAsync(BrokerProcess broker, string topic, string payload)
    {
        var (publisher, _) = await RawClient.ConnectAsync(broker.EndPoint, new ConnectPacket { ProtocolVersion = V.V311, ClientId = "p-" + Guid.NewGuid().ToString("N")[..12] });
        await using (publisher)
        {
            await publisher.SendAsync(new PublishPacket { Topic = topic, Payload = Encoding.UTF8.GetBytes(payload), QoS = QualityOfService.AtLeastOnce, PacketId = 1 });
            Assert.Equal(1, (await publisher.ReceiveAsync<PubAckPacket>()).PacketId);
        }
    }
}
