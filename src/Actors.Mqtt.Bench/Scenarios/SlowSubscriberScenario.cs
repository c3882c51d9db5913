using System.Diagnostics;
using Actors.Mqtt.Bench.Clients;
using Actors.Mqtt.Protocol;

namespace Actors.Mqtt.Bench.Scenarios;

/// <summary>
/// Ten subscribers of one topic, one of which stops reading after SUBACK (with a small socket buffer, so it backs
/// up at once): what the others still get, and what holding the stalled one's messages costs the broker in memory.
/// </summary>
public sealed class SlowSubscriberScenario : IScenario
{
    private const int Subscribers = 10;
    private const int StalledReceiveBuffer = 4096;

    public string Name => "slow-subscriber";

    public string Description => $"1 publisher -> {Subscribers} subscribers, QoS 0, one of them never reads; the others' throughput and the broker's memory";

    public async Task RunAsync(ScenarioContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Settings;
        var outcome = context.Outcome;
        var subscriberCount = settings.Scaled(Subscribers, 2);
        long messages = settings.Scaled(50_000);
        var topic = context.Topic(Name);
        outcome.Expected = (subscriberCount - 1) * messages;
        outcome.Connections = subscriberCount + 1;

        await using var stalled = await Subscriber.ConnectAsync(
            settings.Target, context.ClientId("sss"), topic, QualityOfService.AtMostOnce, 1, messages, context.Deadline, receiveBufferSize: StalledReceiveBuffer);
        var readers = await ConnectionSet.OpenAsync(
            subscriberCount - 1,
            16,
            i => Subscriber.ConnectAsync(settings.Target, context.ClientId($"ssr{i}"), topic, QualityOfService.AtMostOnce, 1, messages, context.Deadline),
            context.Deadline);
        try
        {
            await using var publisher = await Publisher.ConnectAsync(settings.Target, context.ClientId("ssp"), new PublishTemplate(topic, QualityOfService.AtMostOnce, settings.PayloadSize), 0, 0, context.Deadline);
            long Received() => readers.Sum(s => s.Received);
            long Distinct() => readers.Sum(s => s.Distinct);
            context.Status = () => $"sent {publisher.Sent} of {messages}, delivered to readers {Received()} of {outcome.Expected}";
            foreach (var reader in readers)
            {
                reader.StartReading();
            }

            context.Meter.BeginLoad();

            var start = Stopwatch.GetTimestamp();
            try
            {
                await publisher.PublishAsync(messages, settings.IdleLimit, context.Deadline);
                await Completion.WaitAsync(() => Distinct() >= outcome.Expected, Received, settings.IdleLimit, context.Deadline);
            }
            finally
            {
                context.Meter.EndLoad();
                outcome.Sent = publisher.Sent;
                outcome.Delivered = Distinct();
                outcome.Duplicates = readers.Sum(s => s.Duplicates);
                outcome.MeasuredSeconds = Checks.Seconds(start, readers.Max(s => s.LastReceivedTicks));
                if (context.Meter.RssNow() is { } rss)
                {
                    outcome.Notes.Add($"broker RSS with the stalled reader still connected: {rss / (1024 * 1024)} MiB");
                }

                Checks.Closed(context, publisher.CloseReason, "publisher");
            }
        }
        finally
        {
            foreach (var reader in readers)
            {
                Checks.Closed(context, reader.CloseReason, "reading subscriber");
            }

            Checks.Foreign(context, readers.Sum(s => s.Foreign));
            await ConnectionSet.CloseAsync(readers);
        }
    }
}
