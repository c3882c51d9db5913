using System.Diagnostics;
using Actors.Mqtt.Bench.Clients;
using Actors.Mqtt.Protocol;

namespace Actors.Mqtt.Bench.Scenarios;

/// <summary>
/// Eight publishers, one subscriber on a wildcard that matches all of them. QoS 0: publishers send as fast as the
/// broker reads. QoS 1: each publisher keeps a window of unacknowledged messages, and the subscriber acknowledges.
/// The subscriber is the bench's raw client, or MQTTnet (the name ends in <c>-mqttnet</c>).
/// </summary>
public sealed class FanInScenario(QualityOfService qos, SubscriberClient client = SubscriberClient.Raw) : IScenario
{
    private const int Publishers = 8;
    private const int Window = 16;

    public string Name => (qos == QualityOfService.AtMostOnce ? "fan-in-qos0" : "fan-in-qos1") + (client == SubscriberClient.MqttNet ? "-mqttnet" : "");

    public string Description => (qos == QualityOfService.AtMostOnce
        ? $"{Publishers} publishers -> 1 wildcard subscriber, QoS 0, as fast as possible"
        : $"{Publishers} publishers (window of {Window} in flight each) -> 1 wildcard subscriber, QoS 1")
        + (client == SubscriberClient.MqttNet ? "; the subscriber is an MQTTnet client" : "");

    public async Task RunAsync(ScenarioContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Settings;
        var outcome = context.Outcome;
        long perPublisher = settings.Scaled(qos == QualityOfService.AtMostOnce ? 50_000 : 12_500);
        var topic = context.Topic(Name);
        outcome.Expected = Publishers * perPublisher;
        outcome.RequireAll = qos != QualityOfService.AtMostOnce;
        outcome.Connections = Publishers + 1;

        await using var subscriber = await Subscriber.ConnectAsync(client, settings.SubscriberTarget(0), context.ClientId("fis"), topic + "/#", qos, Publishers, perPublisher, context.Deadline);
        var publishers = await ConnectionSet.OpenAsync(
            Publishers,
            Publishers,
            i => Publisher.ConnectAsync(settings.PublisherTarget(0), context.ClientId($"fip{i}"), new PublishTemplate($"{topic}/{i}", qos, settings.PayloadSize), i, Window, context.Deadline),
            context.Deadline);
        context.Status = () => $"sent {publishers.Sum(p => p.Sent)}, received {subscriber.Received} of {outcome.Expected}";
        subscriber.StartReading();
        context.Meter.BeginLoad();
        var start = Stopwatch.GetTimestamp();
        try
        {
            await Task.WhenAll(publishers.Select(p => p.PublishAsync(perPublisher, settings.IdleLimit, context.Deadline)));
            await Completion.WaitAsync(() => subscriber.Distinct >= outcome.Expected, () => subscriber.Received, settings.IdleLimit, context.Deadline);
        }
        finally
        {
            context.Meter.EndLoad();
            outcome.Sent = publishers.Sum(p => p.Sent);
            outcome.Delivered = subscriber.Distinct;
            outcome.Duplicates = subscriber.Duplicates;
            outcome.MeasuredSeconds = Checks.Seconds(start, subscriber.LastReceivedTicks);
            Checks.Closed(context, subscriber.CloseReason, "subscriber");
            foreach (var publisher in publishers)
            {
                Checks.Closed(context, publisher.CloseReason, "publisher");
            }

            Checks.Foreign(context, subscriber.Foreign);
            await ConnectionSet.CloseAsync(publishers);
        }
    }
}
