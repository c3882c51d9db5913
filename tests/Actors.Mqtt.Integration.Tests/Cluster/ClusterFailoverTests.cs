using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Actors.Mqtt.Integration.Tests.Support;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Xunit.Abstractions;

namespace Actors.Mqtt.Integration.Tests.Cluster;

/// <summary>
/// A node dies under load (<c>kill -9</c>) or leaves (SIGTERM): persistent QoS 1 and QoS 2 subscribers on every node,
/// publishers through HAProxy, clients that reconnect through HAProxy when their connection ends. Every message a
/// publisher was told was received arrives at every subscriber, and a QoS 2 one exactly once; the node that left
/// told its clients so (MQTT 5: DISCONNECT 0x8B); the node that went comes back and joins again.
/// </summary>
[Collection(nameof(RunsAlone))]
public class ClusterFailoverTests(PostgresServer postgres, ITestOutputHelper output) : IClassFixture<PostgresServer>
{
    private const int MessagesPerPublisher = 300;
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Theory]
    [InlineData("kill")]
    [InlineData("terminate")]
    public async Task Nothing_acknowledged_is_lost_and_no_QoS_2_message_arrives_twice_when_a_node_goes(string how)
    {
        var nodes = BrokerCluster.Create(await postgres.CreateDatabaseAsync(), 3, out var httpPorts);
        HaproxyServer? haproxy = null;
        var subscribers = new List<ReconnectingClient>();
        try
        {
            await nodes[0].StartAsync();
            await Task.WhenAll(nodes[1].StartAsync(), nodes[2].StartAsync());
            haproxy = await HaproxyServer.StartAsync([.. nodes.Select((n, i) => (n.EndPoint.Port, httpPorts[i]))]);

            // Two persistent subscribers per node, one QoS 1 and one QoS 2, each first connected to its node.
            for (var i = 0; i < 6; i++)
            {
                var qos = i % 2 == 0 ? MqttQualityOfServiceLevel.AtLeastOnce : MqttQualityOfServiceLevel.ExactlyOnce;
                var subscriber = new ReconnectingClient($"sub-{i}", nodes[i / 2].EndPoint.Port, haproxy.EndPoint.Port, qos);
                await subscriber.ConnectAsync(first: true);
                subscribers.Add(subscriber);
            }

            var publishers = new[]
            {
                new ReconnectingClient("pub-1", haproxy.EndPoint.Port, haproxy.EndPoint.Port, MqttQualityOfServiceLevel.AtLeastOnce),
                new ReconnectingClient("pub-2", haproxy.EndPoint.Port, haproxy.EndPoint.Port, MqttQualityOfServiceLevel.ExactlyOnce),
            };
            foreach (var publisher in publishers)
            {
                await publisher.ConnectAsync(first: true);
            }

            var sending = publishers.Select(p => p.PublishAllAsync(MessagesPerPublisher, Pause)).ToArray();

            // A third of the way in, the node of two subscribers (and perhaps of a publisher) goes.
            await WaitForAsync(() => publishers.All(p => p.Acknowledged.Count > MessagesPerPublisher / 3), () => "a third of the messages acknowledged");
            var gone = nodes[2];
            var stopwatch = Stopwatch.StartNew();
            var wentAt = DateTimeOffset.UtcNow;
            if (how == "kill")
            {
                await gone.KillAsync();
            }
            else
            {
                await gone.TerminateAsync();
            }

            await Task.WhenAll(sending);
            var acknowledged = publishers.SelectMany(p => p.Acknowledged).ToHashSet();
            foreach (var subscriber in subscribers)
            {
                await WaitForAsync(
                    () => acknowledged.IsSubsetOf(subscriber.Received.Keys),
                    () => $"{subscriber.ClientId} to receive every acknowledged message; missing {string.Join(", ", acknowledged.Except(subscriber.Received.Keys).Order().Take(30))}");
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{how}: every subscriber had every acknowledged message {stopwatch.Elapsed.TotalSeconds:F1} s after the node went"));
            var reconnected = subscribers.Concat(publishers).Where(c => c.ReconnectedAt > wentAt).ToList();
            Assert.NotEmpty(reconnected);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{how}: {reconnected.Count} clients reconnected, the last {(reconnected.Max(c => c.ReconnectedAt) - wentAt).TotalSeconds:F1} s after the node went"));
            foreach (var publisher in publishers)
            {
                output.WriteLine($"{publisher.ClientId}: sent {publisher.Sent}, acknowledged {publisher.Acknowledged.Count}, refused or cut off {publisher.Sent - publisher.Acknowledged.Count}");
            }

            foreach (var subscriber in subscribers)
            {
                var duplicates = subscriber.Received.Where(r => r.Value > 1).Select(r => r.Key).ToList();
                output.WriteLine($"{subscriber.ClientId} (QoS {(int)subscriber.Qos}, reconnected {subscriber.Reconnects} times, told {string.Join(", ", subscriber.DisconnectReasons)}): received {subscriber.Received.Count} distinct, {duplicates.Count} duplicates, {subscriber.Qos2Receiver.Resent} resent before PUBREL (of {subscriber.Qos2Receiver.Released} PUBRELs)");

                // QoS 2 end to end: the QoS 2 publisher's messages exactly once.
                if (subscriber.Qos == MqttQualityOfServiceLevel.ExactlyOnce)
                {
                    Assert.DoesNotContain(duplicates, d => d.StartsWith("pub-2/", StringComparison.Ordinal));
                }
            }

            // The clients connected straight to the node that left were told why.
            if (how == "terminate")
            {
                foreach (var subscriber in subscribers.Skip(4))
                {
                    Assert.Contains(MqttClientDisconnectReason.ServerShuttingDown, subscriber.DisconnectReasons);
                }
            }

            // The killed or stopped node comes back and joins again.
            await gone.StartAsync(samePort: true);
        }
        finally
        {
            foreach (var subscriber in subscribers)
            {
                await subscriber.DisposeAsync();
            }

            if (haproxy is not null)
            {
                output.WriteLine(haproxy.Output);
                await haproxy.DisposeAsync();
            }

            foreach (var node in nodes)
            {
                output.WriteLine(node.Output);
                await node.DisposeAsync();
            }
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, Func<string> what)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(waited.Elapsed < Patience, $"gave up waiting for {what()}");
            await Task.Delay(200);
        }
    }

    /// <summary>
    /// What MQTTnet leaves out of the QoS 2 receiver's part [MQTT-4.3.3-9]: a packet id is held from its PUBLISH until
    /// its PUBREL, and a PUBLISH under a held id is the same message sent again (the broker must resend a PUBLISH whose
    /// PUBREC it did not get, after reconnecting) and not delivered twice. MQTTnet delivers it again, which would count
    /// as a duplicate here what no compliant client delivers twice. Held across reconnects, as the session is.
    /// </summary>
    private sealed class CompliantQos2Receiver
    {
        private readonly Dictionary<ushort, string> held = [];

        public int Resent { get; private set; }

        public int Released { get; private set; }

        /// <summary>Called before MQTTnet sends PUBREC, so before the broker can send PUBREL.</summary>
        public bool IsNew(ushort packetId, string payload)
        {
            lock (held)
            {
                if (held.TryGetValue(packetId, out var holding) && holding == payload)
                {
                    Resent++;
                    return false;
                }

                held[packetId] = payload;
                return true;
            }
        }

        public void Inspect(MQTTnet.Diagnostics.PacketInspection.MqttPacketFlowDirection direction, byte[] packet)
        {
            // PUBREL: fixed header 0x62, a one-byte remaining length (2 to 4 here), then the packet id.
            if (direction == MQTTnet.Diagnostics.PacketInspection.MqttPacketFlowDirection.Inbound && packet.Length >= 4 && packet[0] == 0x62)
            {
                lock (held)
                {
                    held.Remove((ushort)((packet[2] << 8) | packet[3]));
                    Released++;
                }
            }
        }
    }

    /// <summary>
    /// An MQTT 5 client with a persistent session that connects again through HAProxy whenever its connection ends,
    /// counting what it receives (by payload) or, as a publisher, what the broker acknowledged.
    /// </summary>
    private sealed class ReconnectingClient(string clientId, int firstPort, int haproxyPort, MqttQualityOfServiceLevel qos) : IAsyncDisposable
    {
        private readonly IMqttClient client = new MqttClientFactory().CreateMqttClient();
        private bool disposed;

        public string ClientId { get; } = clientId;

        public MqttQualityOfServiceLevel Qos { get; } = qos;

        public ConcurrentDictionary<string, int> Received { get; } = new();

        public ConcurrentBag<string> Acknowledged { get; } = [];

        public int Sent { get; private set; }

        public int Reconnects { get; private set; }

        public DateTimeOffset ReconnectedAt { get; private set; }

        public ConcurrentQueue<MqttClientDisconnectReason> DisconnectReasons { get; } = [];

        public CompliantQos2Receiver Qos2Receiver { get; } = new();

        public async Task ConnectAsync(bool first)
        {
            if (first)
            {
                client.ApplicationMessageReceivedAsync += e =>
                {
                    var payload = Encoding.UTF8.GetString(e.ApplicationMessage.Payload);
                    if (e.ApplicationMessage.QualityOfServiceLevel == MqttQualityOfServiceLevel.ExactlyOnce && !Qos2Receiver.IsNew(e.PacketIdentifier, payload))
                    {
                        return Task.CompletedTask;
                    }

                    Received.AddOrUpdate(payload, 1, (_, n) => n + 1);
                    return Task.CompletedTask;
                };
                client.InspectPacketAsync += e =>
                {
                    Qos2Receiver.Inspect(e.Direction, e.Buffer);
                    return Task.CompletedTask;
                };
                client.DisconnectedAsync += async disconnected =>
                {
                    if (disconnected.ClientWasConnected)
                    {
                        DisconnectReasons.Enqueue(disconnected.Reason);
                    }

                    while (!disposed && !client.IsConnected)
                    {
                        try
                        {
                            Reconnects++;
                            await client.ConnectAsync(Options(haproxyPort));
                            ReconnectedAt = DateTimeOffset.UtcNow;
                        }
                        catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException)
                        {
                            await Task.Delay(500);
                        }
                    }
                };
            }

            await client.ConnectAsync(Options(firstPort));
            if (!ClientId.StartsWith("pub-", StringComparison.Ordinal))
            {
                await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("load/#", Qos).Build());
            }
        }

        /// <summary>Publishes <paramref name="count"/> numbered messages one after another; a message the broker refused or
        /// whose connection went before its acknowledgement is not counted as acknowledged and not sent again.</summary>
        public async Task PublishAllAsync(int count, TimeSpan pause)
        {
            for (var i = 0; i < count; i++)
            {
                var payload = $"{ClientId}/{i}";
                Sent++;
                try
                {
                    var result = await client.PublishAsync(new MqttApplicationMessageBuilder()
                        .WithTopic("load/" + ClientId)
                        .WithPayload(payload)
                        .WithQualityOfServiceLevel(Qos)
                        .Build());
                    if (result.IsSuccess)
                    {
                        Acknowledged.Add(payload);
                    }
                }
                catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or MQTTnet.Exceptions.MqttClientNotConnectedException)
                {
                    await Task.Delay(200);
                }

                await Task.Delay(pause);
            }
        }

        public async ValueTask DisposeAsync()
        {
            disposed = true;
            if (client.IsConnected)
            {
                await client.DisconnectAsync();
            }

            client.Dispose();
        }

        private MqttClientOptions Options(int port) => new MqttClientOptionsBuilder()
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithTcpServer("127.0.0.1", port)
            .WithClientId(ClientId)
            .WithCleanStart(false)
            .WithSessionExpiryInterval(3600)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .Build();
    }
}
