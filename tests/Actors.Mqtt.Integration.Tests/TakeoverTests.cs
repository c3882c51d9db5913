using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Akka.Actor;
using Akka.Event;
using Microsoft.Extensions.DependencyInjection;

namespace Actors.Mqtt.Integration.Tests;

/// <summary>
/// Many connections racing for one client id: whatever order their CONNECTs reach the session in, one stays connected
/// and owns the session, and every other one is told 0x8E Session taken over; and a session whose connections come
/// and go faster than its journal writes land does not fail.
/// </summary>
public sealed class TakeoverTests(BrokerFixture broker) : IClassFixture<BrokerFixture>
{
    private const int Sockets = 8;
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(15);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    [Trait("spec", "MQTT-3.1.4-3")]
    public async Task Eight_connections_with_one_client_id_at_once_leave_exactly_one_connected(bool persistent)
    {
        var clientId = "race-" + Guid.NewGuid().ToString("N")[..12];
        using var errors = new ErrorLog(broker);
        for (var round = 0; round < 5; round++)
        {
            var clients = await Task.WhenAll(Enumerable.Range(0, Sockets).Select(_ => RawClient.OpenAsync(broker.EndPoint)));
            try
            {
                await Task.WhenAll(clients.Select(c => c.SendAsync(Connect(clientId, persistent))));
                foreach (var client in clients)
                {
                    Assert.Equal(ReasonCode.Success, (await client.ReceiveAsync<ConnAckPacket>(Generous)).ReasonCode);
                }

                // Every connection but one is taken over; the one left answers a PINGREQ and gets what is published to it.
                var next = clients.Select(c => c.ReceiveAsync(Generous * 2)).ToArray();
                using var deadline = new CancellationTokenSource(Generous);
                while (next.Count(t => t.IsCompleted) < Sockets - 1 && !deadline.IsCancellationRequested)
                {
                    await Task.WhenAny(next.Where(t => !t.IsCompleted).Append(Task.Delay(Timeout.Infinite, deadline.Token)));
                }

                var alive = Enumerable.Range(0, Sockets).Where(i => !next[i].IsCompleted).ToList();
                Assert.True(alive.Count == 1, $"round {round}: {alive.Count} connections still open, expected 1; the others got: "
                    + string.Join(", ", next.Where(t => t.IsCompleted).Select(t => t.IsCompletedSuccessfully ? t.Result.ToString() : t.Exception!.InnerException!.Message)));
                foreach (var i in Enumerable.Range(0, Sockets).Except(alive))
                {
                    var disconnect = Assert.IsType<DisconnectPacket>(await next[i]);
                    Assert.Equal(ReasonCode.SessionTakenOver, disconnect.ReasonCode);
                    Assert.Empty(await clients[i].ExpectClosedAsync());
                }

                var survivor = clients[alive[0]];
                await survivor.SendAsync(PingReqPacket.Instance);
                Assert.IsType<PingRespPacket>(await next[alive[0]]);
                var topic = $"race/{clientId}/{round}";
                await survivor.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription(topic)] });
                await survivor.ReceiveAsync<SubAckPacket>();
                await using var publisher = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V500);
                await publisher.PublishAsync(topic, "to the survivor");
                Assert.Equal(topic, (await survivor.ReceiveAsync<PublishPacket>()).Topic);
            }
            finally
            {
                foreach (var client in clients)
                {
                    await client.DisposeAsync();
                }
            }
        }

        errors.AssertNone();
    }

    [Fact]
    public async Task A_client_that_drops_right_after_CONNACK_while_messages_are_in_flight_never_fails_its_session()
    {
        var clientId = "flap-" + Guid.NewGuid().ToString("N")[..12];
        var topic = "flap/" + clientId;
        using var errors = new ErrorLog(broker);
        var (first, _) = await RawClient.ConnectAsync(broker.EndPoint, Connect(clientId, persistent: true));
        await first.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription(topic) { MaximumQoS = QualityOfService.AtLeastOnce }] });
        await first.ReceiveAsync<SubAckPacket>();
        await first.DisposeAsync();

        const int Messages = 50;
        await using (var publisher = await TestClient.ConnectAsync(broker, MQTTnet.Formatter.MqttProtocolVersion.V500))
        {
            for (var i = 0; i < Messages; i++)
            {
                await publisher.PublishAsync(topic, "m" + i, MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce);
            }
        }

        // Each connection gets the queue in flight and leaves at once, without acknowledging anything.
        for (var i = 0; i < 20; i++)
        {
            var client = await RawClient.OpenAsync(broker.EndPoint);
            await client.SendAsync(Connect(clientId, persistent: true));
            await client.DisposeAsync();
        }

        var (last, connAck) = await RawClient.ConnectAsync(broker.EndPoint, Connect(clientId, persistent: true));
        await using (last)
        {
            Assert.True(connAck.SessionPresent);
            var received = new HashSet<string>();
            while (received.Count < Messages)
            {
                var publish = await last.ReceiveAsync<PublishPacket>(Generous);
                received.Add(System.Text.Encoding.UTF8.GetString(publish.Payload.Span));
                await last.SendAsync(new PubAckPacket { PacketId = publish.PacketId });
            }
        }

        errors.AssertNone();
    }

    private static ConnectPacket Connect(string clientId, bool persistent) => new()
    {
        ProtocolVersion = MqttProtocolVersion.V500,
        ClientId = clientId,
        CleanSession = !persistent,
        Properties = persistent ? new MqttProperties { SessionExpiryInterval = 300 } : null,
    };

    /// <summary>Every error the broker's actors log while a test runs (an actor that threw, among them).</summary>
    private sealed class ErrorLog : IDisposable
    {
        private readonly ActorSystem system;
        private readonly IActorRef listener;
        private readonly List<string> errors = [];

        public ErrorLog(BrokerFixture broker)
        {
            system = broker.Services.GetRequiredService<ActorSystem>();
            listener = system.ActorOf(Props.Create(() => new Listener(errors)));
            system.EventStream.Subscribe(listener, typeof(Error));
        }

        public void AssertNone()
        {
            lock (errors)
            {
                Assert.True(errors.Count == 0, "the broker logged errors:\n" + string.Join('\n', errors));
            }
        }

        public void Dispose()
        {
            system.EventStream.Unsubscribe(listener);
            system.Stop(listener);
        }

        private sealed class Listener : ReceiveActor
        {
            public Listener(List<string> errors) => Receive<Error>(e =>
            {
                lock (errors)
                {
                    errors.Add($"{e.LogSource}: {e.Message} {e.Cause}");
                }
            });
        }
    }
}
