using System.Diagnostics;
using Actors.Mqtt.Bench.Clients;
using Actors.Mqtt.Protocol;

namespace Actors.Mqtt.Bench.Scenarios;

/// <summary>One publisher, one hundred subscribers of its topic, QoS 0: the broker's cost of copying a message out.</summary>
public sealed class FanOutScenario : IScenario
{
    private const int Subscribers = 100;

    public string Name => "fan-out-qos0";

    public string Description => $"1 publisher -> {Subscribers} subscribers of the same topic, QoS 0";

    public async Task RunAsync(ScenarioContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Settings;
        var outcome = context.Outcome;
        var subscriberCount = settings.Scaled(Subscribers, 2);
        long messages = settings.Scaled(5_000);
        var topic = context.Topic(Name);
        outcome.Expected = subscriberCount * messages;
        outcome.Connections = subscriberCount + 1;

        var subscribers = await ConnectionSet.OpenAsync(
            subscriberCount,
            16,
            i => Subscriber.ConnectAsync(settings.Target, context.ClientId($"fos{i}"), topic, QualityOfService.AtMostOnce, 1, messages, context.Deadline),
            context.Deadline);
        try
        {
            await using var publisher = await Publisher.ConnectAsync(settings.Target, context.ClientId("fop"), new PublishTemplate(topic, QualityOfService.AtMostOnce, settings.PayloadSize), 0, 0, context.Deadline);
            long Received() => subscribers.Sum(s => s.Received);
            long Distinct() => subscribers.Sum(s => s.Distinct);
            context.Status = () => $"sent {publisher.Sent} of {messages}, delivered {Received()} of {outcome.Expected}";
            foreach (var subscriber in subscribers)
            {
                subscriber.StartReading();
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
                outcome.Duplicates = subscribers.Sum(s => s.Duplicates);
                outcome.MeasuredSeconds = Checks.Seconds(start, subscribers.Max(s => s.LastReceivedTicks));
                Checks.Closed(context, publisher.CloseReason, "publisher");
            }
        }
        finally
        {
            foreach (var subscriber in subscribers)
            {
                Checks.Closed(context, subscriber.CloseReason, "subscriber");
            }

            Checks.Foreign(context, subscribers.Sum(s => s.Foreign));
            await ConnectionSet.CloseAsync(subscribers);
        }
    }
}
