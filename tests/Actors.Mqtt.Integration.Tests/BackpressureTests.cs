using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using MQTTnet;
using MQTTnet.Protocol;

namespace Actors.Mqtt.Integration.Tests;

/// <summary>Runs alone: it measures the memory of the whole test process, where the broker runs.</summary>
[CollectionDefinition(nameof(RunsAlone), DisableParallelization = true)]
public sealed class RunsAlone;

/// <summary>
/// A subscriber that stops reading its socket must cost the broker a bounded amount of memory (docs/architecture.md,
/// Backpressure and memory: QoS 0 beyond the outbound queue is dropped), and must not hold back a subscriber that reads.
/// </summary>
[Collection(nameof(RunsAlone))]
public class BackpressureTests(BrokerFixture broker) : IClassFixture<BrokerFixture>
{
    private const int Messages = 100_000;
    private const int PayloadBytes = 1024;
    private const int Batch = 500;

    // The outbound queue (1000 packets of about 1 KiB) plus the socket's pipes is a few MiB; without backpressure the
    // broker would hold 100 000 x 1 KiB = 98 MiB for the stuck reader.
    private const long MemoryBound = 32L * 1024 * 1024;

    [Fact]
    public async Task A_subscriber_that_never_reads_costs_bounded_memory_and_does_not_hold_back_one_that_reads()
    {
        var topic = $"backpressure/{Guid.NewGuid():N}";

        // The stuck one: subscribes at QoS 0 through a small receive window, then never reads again.
        await using var stuck = await RawClient.OpenAsync(broker.Port, MqttProtocolVersion.V311, receiveBufferSize: 4096);
        await stuck.SendAsync(new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V311, ClientId = "stuck-" + Guid.NewGuid().ToString("N")[..8], CleanSession = true, KeepAliveSeconds = 0 });
        Assert.Equal(ReasonCode.Success, Assert.IsType<ConnAckPacket>(await stuck.ReceiveAsync()).ReasonCode);
        await stuck.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription(topic) { MaximumQoS = QualityOfService.AtMostOnce }] });
        Assert.IsType<SubAckPacket>(await stuck.ReceiveAsync());

        // The healthy one counts what it gets, in order, and keeps nothing (a plain client, not the recording TestClient).
        var next = 0;
        var outOfOrder = 0;
        using var arrived = new SemaphoreSlim(0);
        using var healthy = new MqttClientFactory().CreateMqttClient();
        healthy.ApplicationMessageReceivedAsync += e =>
        {
            if (BitConverter.ToInt32(e.ApplicationMessage.Payload.FirstSpan) != next++)
            {
                outOfOrder++;
            }

            arrived.Release();
            return Task.CompletedTask;
        };
        await healthy.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port).WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).Build());
        await healthy.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(topic, MqttQualityOfServiceLevel.AtMostOnce).Build());
        using var publisher = new MqttClientFactory().CreateMqttClient();
        await publisher.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port).Build());

        var before = GC.GetTotalMemory(forceFullCollection: true);

        // QoS 0 in batches no larger than the outbound queue, each waited for at the healthy subscriber: that one is
        // never behind by more than its queue holds, so it must get every message; the stuck one gets almost none.
        var payload = new byte[PayloadBytes];
        for (var i = 0; i < Messages; i++)
        {
            BitConverter.TryWriteBytes(payload, i);
            await publisher.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).Build());
            if ((i + 1) % Batch == 0)
            {
                for (var j = 0; j < Batch; j++)
                {
                    Assert.True(await arrived.WaitAsync(TimeSpan.FromSeconds(30)), $"the healthy subscriber stopped at {next} of {i + 1}");
                }
            }
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);

        Assert.Equal(Messages, next);
        Assert.Equal(0, outOfOrder);
        Assert.True(after - before < MemoryBound, $"memory grew by {(after - before) / 1024 / 1024} MiB while a subscriber did not read");

        // The stuck one is still connected: its socket is full and the broker dropped what did not fit.
        Assert.False(stuck.Closed);
        await publisher.DisconnectAsync();
        await healthy.DisconnectAsync();
    }
}
