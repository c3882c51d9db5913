using Actors.Mqtt.Broker.Persistence;
using Akka.Configuration;

namespace Actors.Mqtt.Broker;

/// <summary>The broker's own settings, read once from the <c>actors-mqtt</c> section of the configuration.</summary>
public sealed record BrokerSettings
{
    public int MaxPacketSize { get; init; } = 1_048_576;

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public ushort ReceiveMaximum { get; init; } = 100;

    public ushort MaxInflightMessages { get; init; } = 100;

    public int OutboundQueue { get; init; } = 1000;

    public int MaxQueuedMessages { get; init; } = 1000;

    /// <summary>Payload bytes one session may hold queued; 0 means no limit besides <see cref="MaxQueuedMessages"/>.</summary>
    public long MaxQueuedBytes { get; init; }

    public ushort TopicAliasMaximum { get; init; } = 10;

    public ushort MaxKeepAlive { get; init; }

    public SharedSubscriptionStrategy SharedSubscriptionStrategy { get; init; } = SharedSubscriptionStrategy.RoundRobin;

    public StoreSettings Persistence { get; init; } = new();

    /// <summary>The embedded defaults, to fall back on under an operator's configuration.</summary>
    public static Config Reference { get; } = LoadReference();

    public static BrokerSettings From(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var full = ReferenceEquals(config, Reference) ? config : config.WithFallback(Reference);
        var c = full.GetConfig("actors-mqtt");
        var limits = c.GetConfig("limits");
        return new BrokerSettings
        {
            MaxPacketSize = limits.GetInt("max-packet-size"),
            ConnectTimeout = limits.GetTimeSpan("connect-timeout"),
            ReceiveMaximum = checked((ushort)limits.GetInt("receive-maximum")),
            MaxInflightMessages = checked((ushort)limits.GetInt("max-inflight-messages")),
            OutboundQueue = limits.GetInt("outbound-queue"),
            MaxQueuedMessages = limits.GetInt("max-queued-messages"),
            MaxQueuedBytes = limits.GetByteSize("max-queued-bytes") ?? 0,
            TopicAliasMaximum = checked((ushort)limits.GetInt("topic-alias-maximum")),
            MaxKeepAlive = checked((ushort)limits.GetInt("max-keep-alive")),
            SharedSubscriptionStrategy = c.GetString("sessions.shared-subscription-strategy") switch
            {
                "round-robin" => SharedSubscriptionStrategy.RoundRobin,
                "random" => SharedSubscriptionStrategy.Random,
                var other => throw new ConfigurationException(
                    $"actors-mqtt.sessions.shared-subscription-strategy is '{other}'; expected round-robin or random"),
            },
            Persistence = StoreSettings.From(full),
        };
    }

    private static Config LoadReference()
    {
        using var stream = typeof(BrokerSettings).Assembly.GetManifestResourceStream("Actors.Mqtt.Broker.reference.conf")
            ?? throw new InvalidOperationException("embedded reference.conf is missing");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}

public enum SharedSubscriptionStrategy
{
    RoundRobin,
    Random,
}
