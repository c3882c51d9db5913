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
            settings.SubscriberTarget(0), context.ClientId("sss"), topic, QualityOfService.AtMostOnce, 1, messages, context.Deadline, receiveBufferSize: StalledReceiveBuffer);
        var readers = await ConnectionSet.OpenAsync(
            subscriberCount - 1,
            16,
            i => Subscriber.ConnectAsync(settings.SubscriberTarget(0), context.ClientId($"ssr{i}"), topic, QualityOfService.AtMostOnce, 1, messages, context.Deadline),
            context.Deadline);
        await OneToMany.RunAsync(
            context,
            "ssp",
            topic,
            messages,
            readers,
            "reading subscriber",
            () =>
            {
                if (context.Meter.RssNow() is { } rss)
                {
                    context.Outcome.Notes.Add($"broker RSS with the stalled reader still connected: {rss / (1024 * 1024)} MiB");
                }
            });
    }
}
