using System.Diagnostics;
using Actors.Mqtt.Bench.Clients;
using Actors.Mqtt.Bench.Measurement;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Bench.Scenarios;

/// <summary>
/// QoS 1 at a fixed rate to a topic whose only subscriber is an offline persistent session: the time from when each
/// PUBLISH went out (<see cref="SendSchedule"/>) to its PUBACK. On a broker that writes before it acknowledges, this is
/// the cost of a durable write.
/// </summary>
public sealed class PersistentAckLatencyScenario : IScenario
{
    public string Name => "persistent-ack-latency";

    public string Description => "QoS 1 at a fixed rate to one offline persistent subscriber; PUBLISH-to-PUBACK latency p50/p99/max";

    public async Task RunAsync(ScenarioContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Settings;
        var outcome = context.Outcome;
        var messages = settings.Scaled(5_000);
        var rate = Math.Min(settings.Rate, 1_000);
        var topic = context.Topic(Name);
        var subscriberId = context.ClientId("pals");
        outcome.Expected = messages;
        outcome.RequireAll = true;
        outcome.Connections = 2;
        outcome.Notes.Add($"{rate} msg/s");

        await using (var subscriber = await RawMqttConnection.ConnectAsync(settings.SubscriberTarget(0), subscriberId, context.Deadline, cleanSession: false))
        {
            await subscriber.SubscribeAsync(topic, QualityOfService.AtLeastOnce, context.Deadline);
            await subscriber.DisconnectAsync();
        }

        var latency = new LatencyRecorder();
        var sentAtById = new long[ushort.MaxValue + 1];
        var acknowledged = 0L;
        using var reading = new CancellationTokenSource();
        await using var publisher = await RawMqttConnection.ConnectAsync(settings.PublisherTarget(0), context.ClientId("palp"), context.Deadline);
        var readLoop = publisher.ReadLoopAsync(
            packet =>
            {
                if (packet is PubAckPacket ack)
                {
                    latency.Record(Volatile.Read(ref sentAtById[ack.PacketId]), Stopwatch.GetTimestamp());
                    Interlocked.Increment(ref acknowledged);
                }
            },
            acknowledge: false,
            reading.Token);
        var template = new PublishTemplate(topic, QualityOfService.AtLeastOnce, settings.PayloadSize);
        var buffer = new byte[template.Size];
        var sent = 0L;
        context.Status = () => $"sent {Interlocked.Read(ref sent)} of {messages}, acknowledged {Interlocked.Read(ref acknowledged)}";
        context.Meter.BeginLoad();
        var start = Stopwatch.GetTimestamp();
        var schedule = new SendSchedule(start, rate);
        try
        {
            for (var k = 0L; k < messages; k++)
            {
                var sentAt = await schedule.WaitAsync(k, context.Deadline);
                var packetId = (ushort)((k % ushort.MaxValue) + 1);
                Volatile.Write(ref sentAtById[packetId], sentAt);
                var length = template.Write(buffer, packetId, new Payload(k, sentAt, 0));
                await publisher.SendAsync(buffer.AsMemory(0, length), context.Deadline);
                Interlocked.Increment(ref sent);
            }

            await Completion.WaitAsync(() => Interlocked.Read(ref acknowledged) >= messages, () => Interlocked.Read(ref acknowledged), settings.IdleLimit, context.Deadline);
        }
        finally
        {
            context.Meter.EndLoad();
            outcome.Sent = Interlocked.Read(ref sent);
            outcome.Delivered = Interlocked.Read(ref acknowledged);
            outcome.MeasuredSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            outcome.Latency = latency.Summarize();
            outcome.Notes.Add(schedule.Note());
            await reading.CancelAsync();
            Checks.Closed(context, await readLoop, "publisher");
            await EndSessionAsync(settings, subscriberId);
        }
    }

    /// <summary>A clean-session connect under the same client id discards the queued session.</summary>
    private static async Task EndSessionAsync(BenchSettings settings, string clientId)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var cleanup = await RawMqttConnection.ConnectAsync(settings.SubscriberTarget(0), clientId, deadline.Token, cleanSession: true);
        await cleanup.DisconnectAsync();
    }
}
