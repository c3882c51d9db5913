using Actors.Mqtt.Bench.Clients;
using Actors.Mqtt.Protocol;

namespace Actors.Mqtt.Bench.Scenarios;

/// <summary>
/// One publisher, one hundred subscribers of its topic, QoS 0: the broker's cost of copying a message out. The
/// subscribers are the bench's raw clients, or MQTTnet clients (the name ends in <c>-mqttnet</c>).
/// </summary>
public sealed class FanOutScenario(SubscriberClient client = SubscriberClient.Raw) : IScenario
{
    private const int Subscribers = 100;

    public string Name => client == SubscriberClient.MqttNet ? "fan-out-qos0-mqttnet" : "fan-out-qos0";

    public string Description => $"1 publisher -> {Subscribers} subscribers of the same topic, QoS 0"
        + (client == SubscriberClient.MqttNet ? ", MQTTnet clients" : "");

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
            i => Subscriber.ConnectAsync(client, settings.SubscriberTarget(0), context.ClientId($"fos{i}"), topic, QualityOfService.AtMostOnce, 1, messages, context.Deadline),
            context.Deadline);
        await OneToMany.RunAsync(context, "fop", topic, messages, subscribers, "subscriber");
    }
}
