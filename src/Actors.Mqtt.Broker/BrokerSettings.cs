using Actors.Mqtt.Broker.Persistence;
using Actors.Mqtt.Broker.Security;
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
    public AuthSettings Auth { get; init; } = AuthSettings.Open;

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
            Auth = ReadAuth(c),
        };
    }

    private static AuthSettings ReadAuth(Config c)
    {
        var auth = c.GetConfig("auth");
        var listeners = new Dictionary<string, bool>(StringComparer.Ordinal);
        if (c.HasPath("listeners") && c.GetValue("listeners").IsObject())
        {
            foreach (var name in c.GetConfig("listeners").Root.GetObject().Items.Keys)
            {
                var key = $"listeners.{name}.allow-anonymous";
                if (c.HasPath(key) && c.GetString(key) is { Length: > 0 } value)
                {
                    listeners[name] = value switch
                    {
                        "true" or "on" or "yes" => true,
                        "false" or "off" or "no" => false,
                        _ => throw new ConfigurationException($"actors-mqtt.{key} is '{value}'; expected true, false, or \"\" for actors-mqtt.auth.allow-anonymous"),
                    };
                }
            }
        }

        return new AuthSettings(auth.GetBoolean("allow-anonymous"), FilePath(auth.GetString("password-file")), FilePath(auth.GetString("acl-file")))
        {
            ListenerAllowAnonymous = listeners,
        };
    }

    /// <summary>An empty path turns the file off; a relative one is taken from the current directory, as Mosquitto does.</summary>
    private static string? FilePath(string? path) => string.IsNullOrWhiteSpace(path) ? null : Path.GetFullPath(path);

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
