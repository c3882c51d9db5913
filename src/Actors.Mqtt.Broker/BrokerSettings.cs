using Akka.Configuration;

namespace Actors.Mqtt.Broker;

/// <summary>The broker's own settings, read once from the <c>actors-mqtt</c> section of the configuration.</summary>
public sealed record BrokerSettings
{
    /// <summary>Key of <see cref="Exception.Data"/> holding the full key a <see cref="ConfigurationException"/> is about.</summary>
    public const string KeyData = "actors-mqtt.key";

    /// <summary>Key of <see cref="Exception.Data"/> holding what is wrong, without the key.</summary>
    public const string ProblemData = "actors-mqtt.problem";

    public int MaxPacketSize { get; init; } = 1_048_576;

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public ushort ReceiveMaximum { get; init; } = 100;

    public ushort MaxInflightMessages { get; init; } = 100;

    public int OutboundQueue { get; init; } = 1000;

    public int MaxQueuedMessages { get; init; } = 1000;

    public ushort TopicAliasMaximum { get; init; } = 10;

    public ushort MaxKeepAlive { get; init; }

    public SharedSubscriptionStrategy SharedSubscriptionStrategy { get; init; } = SharedSubscriptionStrategy.RoundRobin;

    /// <summary>The embedded defaults, to fall back on under an operator's configuration.</summary>
    public static Config Reference { get; } = LoadReference();

    /// <summary>Reads the broker's keys; a value out of its range is a <see cref="ConfigurationException"/> whose
    /// <see cref="Exception.Data"/> holds the full key under <see cref="KeyData"/> and the problem alone under
    /// <see cref="ProblemData"/>, so the host can report it at the file and line that set the key.</summary>
    public static BrokerSettings From(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var c = (ReferenceEquals(config, Reference) ? config : config.WithFallback(Reference)).GetConfig("actors-mqtt");
        var limits = c.GetConfig("limits");
        int Limit(string key, int min, int max)
        {
            var value = limits.GetInt(key);
            return value >= min && value <= max ? value : throw Invalid($"limits.{key}", $"{value} is out of range: expected {min} to {max}");
        }

        var connectTimeout = limits.GetTimeSpan("connect-timeout");
        return new BrokerSettings
        {
            MaxPacketSize = Limit("max-packet-size", 1, int.MaxValue),
            ConnectTimeout = connectTimeout > TimeSpan.Zero ? connectTimeout : throw Invalid("limits.connect-timeout", "must be longer than 0"),
            ReceiveMaximum = (ushort)Limit("receive-maximum", 1, ushort.MaxValue),
            MaxInflightMessages = (ushort)Limit("max-inflight-messages", 1, ushort.MaxValue),
            OutboundQueue = Limit("outbound-queue", 1, int.MaxValue),
            MaxQueuedMessages = Limit("max-queued-messages", 0, int.MaxValue),
            TopicAliasMaximum = (ushort)Limit("topic-alias-maximum", 0, ushort.MaxValue),
            MaxKeepAlive = (ushort)Limit("max-keep-alive", 0, ushort.MaxValue),
            SharedSubscriptionStrategy = c.GetString("sessions.shared-subscription-strategy") switch
            {
                "round-robin" => SharedSubscriptionStrategy.RoundRobin,
                "random" => SharedSubscriptionStrategy.Random,
                var other => throw Invalid("sessions.shared-subscription-strategy", $"'{other}' is not a strategy: expected round-robin or random"),
            },
        };
    }

    private static ConfigurationException Invalid(string key, string problem)
    {
        var fullKey = $"actors-mqtt.{key}";
        var error = new ConfigurationException($"{fullKey}: {problem}");
        error.Data[KeyData] = fullKey;
        error.Data[ProblemData] = problem;
        return error;
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
