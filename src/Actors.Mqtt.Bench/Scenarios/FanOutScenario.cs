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
            i => Subscriber.ConnectAsync(settings.SubscriberTarget(0), context.ClientId($"fos{i}"), topic, QualityOfService.AtMostOnce, 1, messages, context.Deadline),
            context.Deadline);
        await OneToMany.RunAsync(context, "fop", topic, messages, subscribers, "subscriber");
    }
}
