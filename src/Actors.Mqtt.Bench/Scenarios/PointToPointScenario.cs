using System.Diagnostics;
using Actors.Mqtt.Bench.Clients;
using Actors.Mqtt.Bench.Measurement;
using Actors.Mqtt.Protocol;

namespace Actors.Mqtt.Bench.Scenarios;

/// <summary>
/// A thousand publisher/subscriber pairs, each pair on its own topic, at a fixed total rate (open loop): end-to-end
/// latency at a load the broker can carry, from when each message went out (<see cref="SendSchedule"/>). QoS 0 at
/// <c>--rate</c>; QoS 1 (subscribers acknowledging) at 1,000 msg/s at most, issue 20's paced rate.
/// </summary>
public sealed class PointToPointScenario(QualityOfService qos = QualityOfService.AtMostOnce) : IScenario
{
    private const int Pairs = 1_000;
    private const int ConnectConcurrency = 32;
    private const int QoS1Rate = 1_000;
    private const int Window = 16;

    public string Name => qos == QualityOfService.AtMostOnce ? "point-to-point" : "point-to-point-qos1";

    public string Description => $"{Pairs} publisher/subscriber pairs, one topic each, QoS {(int)qos} at a fixed total rate; publish-to-delivery latency p50/p99/max";

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
        var rate = qos == QualityOfService.AtMostOnce ? settings.Rate : Math.Min(settings.Rate, QoS1Rate);
        outcome.Expected = messages;
        outcome.RequireAll = qos != QualityOfService.AtMostOnce;
        outcome.Connections = 2 * pairs;
        outcome.Notes.Add($"{pairs} pairs at {rate} msg/s in total");

        var subscribers = await ConnectionSet.OpenAsync(
            pairs,
            ConnectConcurrency,
            i => Subscriber.ConnectAsync(settings.SubscriberTarget(i), context.ClientId($"pps{i}"), $"{topic}/{i}", qos, 1, perPair, context.Deadline, latency),
            context.Deadline);
        Publisher[] publishers = [];
        try
        {
            publishers = await ConnectionSet.OpenAsync(
                pairs,
                ConnectConcurrency,
                i => Publisher.ConnectAsync(settings.PublisherTarget(i), context.ClientId($"ppp{i}"), new PublishTemplate($"{topic}/{i}", qos, settings.PayloadSize), 0, Window, context.Deadline),
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
            var schedule = new SendSchedule(start, rate);
            try
            {
                for (var k = 0L; k < messages; k++)
                {
                    var sentAt = await schedule.WaitAsync(k, context.Deadline);
                    await publishers[k % pairs].PublishOneAsync(k / pairs, sentAt, context.Deadline);
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
                outcome.Notes.Add(schedule.Note());
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
