using System.Buffers;
using System.Diagnostics;
using Actors.Mqtt.Bench.Clients;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Codec;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Bench.Scenarios;

/// <summary>
/// Device-id-first topics: one publisher sends one QoS 0 message to each of many distinct first levels
/// (<c>dev-&lt;run&gt;-&lt;i&gt;/telemetry</c>, the run's id in each so that a repeat against the same broker publishes to
/// levels it has not seen) while a subscriber of <c>#</c> and one of <c>+/telemetry</c> are connected;
/// the broker's resident memory growth per distinct topic. Routing state that follows subscriptions grows by nothing.
/// </summary>
public sealed class TopicSpreadScenario : IScenario
{
    private const int Topics = 100_000;
    private const int BatchSize = 64;

    // Lets the broker finish what the last messages set off before its memory is read, as the connection storm does.
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    public string Name => "topic-spread";

    public string Description => $"1 publisher -> {Topics:N0} distinct first levels (dev-<i>/telemetry), QoS 0, to a # and a +/telemetry subscriber; broker RSS growth per topic";

    public async Task RunAsync(ScenarioContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Settings;
        var outcome = context.Outcome;
        long topics = settings.Scaled(Topics);
        outcome.Expected = 2 * topics;
        outcome.Connections = 3;

        await using var everything = await Subscriber.ConnectAsync(settings.SubscriberTarget(0), context.ClientId("tsa"), "#", QualityOfService.AtMostOnce, 1, topics, context.Deadline);
        await using var telemetry = await Subscriber.ConnectAsync(settings.SubscriberTarget(0), context.ClientId("tst"), "+/telemetry", QualityOfService.AtMostOnce, 1, topics, context.Deadline);
        var publisher = await RawMqttConnection.ConnectAsync(settings.PublisherTarget(0), context.ClientId("tsp"), context.Deadline);
        using var reading = new CancellationTokenSource();
        var publisherClosed = publisher.ReadLoopAsync(_ => { }, acknowledge: false, reading.Token);
        var sent = 0L;
        context.Status = () => $"sent {Interlocked.Read(ref sent)} of {topics}, received {everything.Received} (#) and {telemetry.Received} (+/telemetry)";
        everything.StartReading();
        telemetry.StartReading();

        var rssBefore = context.Meter.RssNow();
        context.Meter.BeginLoad();
        var start = Stopwatch.GetTimestamp();
        try
        {
            var batch = new ArrayBufferWriter<byte>();
            var payload = new byte[settings.PayloadSize];
            for (var i = 0L; i < topics; i++)
            {
                new Payload(i, Stopwatch.GetTimestamp(), 0).WriteTo(payload);
                MqttPacketEncoder.Encode(
                    new PublishPacket { Topic = context.FirstLevel("dev", i) + "/telemetry", QoS = QualityOfService.AtMostOnce, Payload = payload },
                    RawMqttConnection.Version,
                    batch);
                if ((i + 1) % BatchSize == 0 || i + 1 == topics)
                {
                    await publisher.SendAsync(batch.WrittenMemory, context.Deadline);
                    batch.ResetWrittenCount();
                    Interlocked.Exchange(ref sent, i + 1);
                }
            }

            await Completion.WaitAsync(
                () => everything.Distinct + telemetry.Distinct >= outcome.Expected,
                () => everything.Received + telemetry.Received,
                settings.IdleLimit,
                context.Deadline);
        }
        finally
        {
            context.Meter.EndLoad();
            outcome.Sent = Interlocked.Read(ref sent);
            outcome.Delivered = everything.Distinct + telemetry.Distinct;
            outcome.Duplicates = everything.Duplicates + telemetry.Duplicates;
            outcome.MeasuredSeconds = Checks.Seconds(start, Math.Max(everything.LastReceivedTicks, telemetry.LastReceivedTicks));
            Checks.Closed(context, everything.CloseReason, "# subscriber");
            Checks.Closed(context, telemetry.CloseReason, "+/telemetry subscriber");
            Checks.Closed(context, publisherClosed.IsCompleted ? await publisherClosed : null, "publisher");
            Checks.Foreign(context, everything.Foreign + telemetry.Foreign);
            await reading.CancelAsync();
            await publisher.DisconnectAsync();
            await publisherClosed;
        }

        // Read with the subscribers still connected, so only what the topics left behind differs from the start.
        await Task.Delay(Settle, context.Deadline);
        if (rssBefore is { } before && context.Meter.RssNow() is { } after && outcome.Sent > 0)
        {
            outcome.RssPerTopicBytes = (double)(after - before) / outcome.Sent;
            outcome.Notes.Add($"{outcome.Sent:N0} distinct first levels, broker RSS {before / (1024.0 * 1024):F1} -> {after / (1024.0 * 1024):F1} MiB after {Settle.TotalSeconds:F0} s");
        }
    }
}
