using System.Diagnostics;
using Actors.Mqtt.Bench.Clients;
using Actors.Mqtt.Bench.Measurement;
using Actors.Mqtt.Protocol;

namespace Actors.Mqtt.Bench.Scenarios;

/// <summary>
/// A thousand publisher/subscriber pairs, each pair on its own topic, QoS 0, at a fixed total rate (open loop):
/// end-to-end latency at a load the broker can carry, measured from when each message was due.
/// </summary>
public sealed class PointToPointScenario : IScenario
{
    private const int Pairs = 1_000;
    private const int ConnectConcurrency = 32;

    public string Name => "point-to-point";

    public string Description => $"{Pairs} publisher/subscriber pairs, one topic each, QoS 0 at a fixed total rate; latency p50/p99/max";

    public async Task RunAsync(ScenarioContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Settings;
        var outcome = context.Outcome;
        var pairs = settings.Scaled(Pairs);
        long messages = settings.Scaled(10_000);
        var perPair = (messages + pairs - 1) / pairs;
        var topic = context.Topic(Name);
        var latency = new LatencyRecorder();
        outcome.Expected = messages;
        outcome.Connections = 2 * pairs;
        outcome.Notes.Add($"{pairs} pairs at {settings.Rate} msg/s in total");

        var subscribers = await ConnectionSet.OpenAsync(
            pairs,
            ConnectConcurrency,
            i => Subscriber.ConnectAsync(settings.SubscriberTarget(i), context.ClientId($"pps{i}"), $"{topic}/{i}", QualityOfService.AtMostOnce, 1, perPair, context.Deadline, latency),
            context.Deadline);
        Publisher[] publishers = [];
        try
        {
            publishers = await ConnectionSet.OpenAsync(
                pairs,
                ConnectConcurrency,
                i => Publisher.ConnectAsync(settings.PublisherTarget(i), context.ClientId($"ppp{i}"), new PublishTemplate($"{topic}/{i}", QualityOfService.AtMostOnce, settings.PayloadSize), 0, 0, context.Deadline),
                context.Deadline);
            long Received() => subscribers.Sum(s => s.Received);
            long Distinct() => subscribers.Sum(s => s.Distinct);
            var sent = 0L;
            context.Status = () => $"sent {Interlocked.Read(ref sent)} of {messages}, received {Received()}";
            foreach (var subscriber in subscribers)
            {
                subscriber.StartReading();
            }

            context.Meter.BeginLoad();

            var start = Stopwatch.GetTimestamp();
            try
            {
                for (var k = 0L; k < messages; k++)
                {
                    var due = start + (long)(k * (double)Stopwatch.Frequency / settings.Rate);
                    while (Stopwatch.GetTimestamp() < due)
                    {
                        await Task.Delay(1, context.Deadline);
                    }

                    await publishers[k % pairs].PublishOneAsync(k / pairs, due, context.Deadline);
                    Interlocked.Increment(ref sent);
                }

                await Completion.WaitAsync(() => Distinct() >= messages, Received, settings.IdleLimit, context.Deadline);
            }
            finally
            {
                context.Meter.EndLoad();
                outcome.Sent = Interlocked.Read(ref sent);
                outcome.Delivered = Distinct();
                outcome.Duplicates = subscribers.Sum(s => s.Duplicates);
                outcome.MeasuredSeconds = Checks.Seconds(start, subscribers.Max(s => s.LastReceivedTicks));
                outcome.Latency = latency.Summarize();
            }
        }
        finally
        {
            foreach (var subscriber in subscribers)
            {
                Checks.Closed(context, subscriber.CloseReason, "subscriber");
            }

            foreach (var publisher in publishers)
            {
                Checks.Closed(context, publisher.CloseReason, "publisher");
            }

            Checks.Foreign(context, subscribers.Sum(s => s.Foreign));
            await Task.WhenAll(ConnectionSet.CloseAsync(publishers), ConnectionSet.CloseAsync(subscribers));
        }
    }
}
