using System.Globalization;
using System.Reflection;
using System.Text;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Akka.Actor;

namespace Actors.Mqtt.Broker.Statistics;

/// <summary>
/// Publishes what the broker knows about itself under <c>$SYS/broker/</c> every <c>actors-mqtt.sys-interval</c>, with the
/// names Mosquitto uses: retained QoS 0 messages, so a new subscriber gets the latest at once; a value is published again
/// only when it changed. Clients may read them, never write them (<see cref="Security.BrokerTopics"/>). A node of a
/// cluster counts only itself, so it publishes under <c>$SYS/brokers/&lt;node&gt;/</c> (EMQX's form), where the nodes'
/// values do not overwrite each other in the one retained store.
/// </summary>
public sealed class SysTopicsActor : ReceiveActor, IWithTimers
{
    private const string PublishTimer = "sys-interval";

    private static readonly string[] Windows = ["1min", "5min", "15min"];

    private readonly BrokerStatistics statistics;
    private readonly BrokerPublisher publisher;
    private readonly TimeProvider time;
    private readonly string version;
    private readonly string prefix;
    private readonly TimeSpan interval;
    private readonly long startedAt;
    private readonly Dictionary<string, string> published = new(StringComparer.Ordinal);
    private readonly (string Topic, LoadAverage Load, string[] Instruments)[] loads =
    [
        ("messages/received", new LoadAverage(), [BrokerMetrics.MessagesReceived.Name]),
        ("messages/sent", new LoadAverage(), [BrokerMetrics.MessagesSent.Name]),
        ("bytes/received", new LoadAverage(), [BrokerMetrics.BytesReceived.Name]),
        ("bytes/sent", new LoadAverage(), [BrokerMetrics.BytesSent.Name]),
        ("connections", new LoadAverage(), [BrokerMetrics.ConnectionsAccepted.Name]),
        ("publish/dropped", new LoadAverage(), [BrokerMetrics.MessagesDropped.Name]),
    ];

    private long lastSampleAt;

    public SysTopicsActor(BrokerStatistics statistics, IActorRef topicTree, IActorRef retainedStore, TimeSpan interval, TimeProvider time, string prefix)
    {
        this.statistics = statistics;
        this.prefix = prefix;
        this.time = time;
        publisher = new BrokerPublisher(topicTree, retainedStore, Self);
        version = typeof(SysTopicsActor).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        this.interval = interval;
        startedAt = lastSampleAt = time.Milliseconds();
        Receive<PublishNow>(_ => Publish());
        Receive<SubtreeResolved>(publisher.Resolved);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="statistics">Owned by the actor from now on: disposed when it stops.</param>
    /// <param name="node">This node's cluster address as <c>host:port</c>, or null for a broker that is not one of several.</param>
    public static Props Props(BrokerStatistics statistics, IActorRef topicTree, IActorRef retainedStore, TimeSpan interval, TimeProvider time, string? node) =>
        Akka.Actor.Props.Create(() => new SysTopicsActor(statistics, topicTree, retainedStore, interval, time, PrefixFor(node)));

    private static string PrefixFor(string? node) => node is null ? "$SYS/broker/" : $"$SYS/brokers/{node}/";

    protected override void PreStart()
    {
        Self.Tell(PublishNow.Instance);
        Timers.StartPeriodicTimer(PublishTimer, PublishNow.Instance, interval);
    }

    protected override void PostStop()
    {
        publisher.SendWaiting();
        statistics.Dispose();
    }

    private void Publish()
    {
        var now = time.Milliseconds();
        var reading = statistics.Read();
        long Total(params string[] instruments) => instruments.Sum(i => BrokerStatistics.Sum(reading, i));
        var connected = Total(BrokerMetrics.SessionsOnline.Name);
        // Sleeping sessions are in no node's memory: the session index counts them, on the oldest member (all of them on a
        // broker alone), until its first count after a start.
        var disconnected = Math.Max(Total(BrokerMetrics.SessionsOffline.Name), Total(BrokerMetrics.SessionsOfflineCluster.Name));
        var elapsed = TimeSpan.FromMilliseconds(now - lastSampleAt);
        lastSampleAt = now;

        Set("version", "actors-mqtt version " + version);
        Set("uptime", $"{(now - startedAt) / 1000} seconds");
        Set("clients/connected", connected);
        Set("clients/disconnected", disconnected);
        Set("clients/total", connected + disconnected);
        Set("clients/maximum", statistics.Peak(BrokerMetrics.SessionsOnline.Name));
        Set("clients/expired", Total(BrokerMetrics.SessionsExpired.Name));

        // Mosquitto counts packets of every kind under messages/; these are PUBLISH packets, as under publish/messages/.
        Set("messages/received", Total(BrokerMetrics.MessagesReceived.Name));
        Set("messages/sent", Total(BrokerMetrics.MessagesSent.Name));
        Set("publish/messages/received", Total(BrokerMetrics.MessagesReceived.Name));
        Set("publish/messages/sent", Total(BrokerMetrics.MessagesSent.Name));
        Set("publish/messages/dropped", Total(BrokerMetrics.MessagesDropped.Name));
        Set("bytes/received", Total(BrokerMetrics.BytesReceived.Name));
        Set("bytes/sent", Total(BrokerMetrics.BytesSent.Name));
        Set("retained messages/count", Total(BrokerMetrics.RetainedMessages.Name));
        Set("subscriptions/count", Total(BrokerMetrics.Subscriptions.Name));
        foreach (var (topic, load, instruments) in loads)
        {
            load.Sample(Total(instruments), elapsed);
            for (var i = 0; i < Windows.Length; i++)
            {
                Set($"load/{topic}/{Windows[i]}", load.PerMinute[i].ToString("F2", CultureInfo.InvariantCulture));
            }
        }
    }

    private void Set(string topic, long value) => Set(topic, value.ToString(CultureInfo.InvariantCulture));

    private void Set(string topic, string value)
    {
        if (published.TryGetValue(topic, out var last) && last == value)
        {
            return;
        }

        published[topic] = value;
        var message = new PublishPacket
        {
            Topic = prefix + topic,
            Payload = Encoding.UTF8.GetBytes(value),
            QoS = QualityOfService.AtMostOnce,
            Retain = true,
        };
        publisher.Publish(message, publisherClientId: null, time.Milliseconds());
    }

    private sealed record PublishNow
    {
        public static readonly PublishNow Instance = new();
    }
}
