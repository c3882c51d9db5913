using Actors.Mqtt.Broker.Bridges;
using Actors.Mqtt.Broker.Clustering;
using Actors.Mqtt.Broker.Extensions;
using Actors.Mqtt.Broker.Persistence;
using Actors.Mqtt.Broker.Security;
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

    /// <summary>
    /// How long a QoS 0 publisher's connection waits for the answers to a mark before it gives them up (a subscriber's
    /// connection closed with the copy in its mailbox). Not configurable: it only bounds a rare stall.
    /// </summary>
    internal TimeSpan PaceTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a client's socket may take nothing before the client counts as stalled: its QoS 0 is then dropped beyond
    /// the outbound queue and it no longer slows publishers down. A client that reads, however slowly, takes something
    /// well within it. Not configurable: it only tells a stopped reader from a slow one.
    /// </summary>
    internal TimeSpan StallAfter { get; init; } = TimeSpan.FromMilliseconds(100);

    public int MaxQueuedMessages { get; init; } = 1000;

    /// <summary>Payload bytes one session may hold queued; 0 means no limit besides <see cref="MaxQueuedMessages"/>.</summary>
    public long MaxQueuedBytes { get; init; }

    public ushort TopicAliasMaximum { get; init; } = 10;

    public ushort MaxKeepAlive { get; init; }

    /// <summary>Seconds a session may outlive its connection at most; 0 means no maximum.</summary>
    public uint MaxSessionExpiry { get; init; }

    /// <summary>The session expiry a client gets when it asks for <paramref name="requested"/> seconds.</summary>
    public uint SessionExpiryFor(uint requested) => MaxSessionExpiry > 0 && requested > MaxSessionExpiry ? MaxSessionExpiry : requested;

    /// <summary>Levels a topic name or filter may have; 0 means no limit.</summary>
    public int MaxTopicLevels { get; init; }

    /// <summary>Subscriptions one session may hold; 0 means no limit.</summary>
    public int MaxSubscriptions { get; init; }

    /// <summary>Connections open at once over all listeners; 0 means no limit. Applied by the listeners.</summary>
    public int MaxConnections { get; init; }

    /// <summary>New connections a second from one source address; 0 means no limit. Applied by the listeners.</summary>
    public double ConnectRate { get; init; }

    /// <summary>How often the broker publishes its <c>$SYS/broker/...</c> topics; zero turns them off.</summary>
    public TimeSpan SysInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a journaled session without a connection stays in memory with nothing to do before it sleeps
    /// (its actor stops; it is woken by its client, a message for it, or its deadline); zero keeps it awake.</summary>
    public TimeSpan SessionIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public SharedSubscriptionStrategy SharedSubscriptionStrategy { get; init; } = SharedSubscriptionStrategy.RoundRobin;

    public StoreSettings Persistence { get; init; } = new();

    public ClusterNodeSettings Cluster { get; init; } = new();

    /// <summary>The clock every broker actor reads, monotonic (<see cref="BrokerTime"/>) and wall-clock alike; not
    /// configuration: tests give a fake one to move time.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    public AuthSettings Auth { get; init; } = AuthSettings.Open;

    /// <summary>The bridges to other brokers, one <see cref="BridgeActor"/> each.</summary>
    public IReadOnlyList<BridgeSettings> Bridges { get; init; } = [];

    /// <summary>The operator's extensions, in the order they answer questions.</summary>
    public IReadOnlyList<ExtensionSettings> Extensions { get; init; } = [];

    /// <summary>Whether broker events are worth making: only extensions hear them.</summary>
    public bool PublishesEvents => Extensions.Count > 0;

    /// <summary>How long a connection keeps an extension's authorization answer for one action and topic.</summary>
    public TimeSpan ExtensionCacheTtl { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How many authorization answers a connection keeps at most.</summary>
    public int ExtensionCacheEntries { get; init; } = 32;

    /// <summary>The embedded defaults, to fall back on under an operator's configuration.</summary>
    public static Config Reference { get; } = LoadReference();

    /// <summary>Reads the broker's keys; a value out of its range is a <see cref="ConfigurationException"/> whose
    /// <see cref="Exception.Data"/> holds the full key under <see cref="KeyData"/> and the problem alone under
    /// <see cref="ProblemData"/>, so the host can report it at the file and line that set the key.</summary>
    public static BrokerSettings From(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var full = ReferenceEquals(config, Reference) ? config : config.WithFallback(Reference);
        var c = full.GetConfig("actors-mqtt");
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
            MaxQueuedBytes = limits.GetByteSize("max-queued-bytes") is { } bytes and >= 0 ? bytes : throw Invalid("limits.max-queued-bytes", "must be 0 (no limit) or more"),
            TopicAliasMaximum = (ushort)Limit("topic-alias-maximum", 0, ushort.MaxValue),
            MaxKeepAlive = (ushort)Limit("max-keep-alive", 0, ushort.MaxValue),
            MaxSessionExpiry = (uint)Limit("max-session-expiry", 0, int.MaxValue),
            MaxConnections = Limit("max-connections", 0, int.MaxValue),
            MaxTopicLevels = Limit("max-topic-levels", 0, ushort.MaxValue),
            MaxSubscriptions = Limit("max-subscriptions", 0, int.MaxValue),
            ConnectRate = limits.GetDouble("connect-rate") is var rate and >= 0 and <= 1_000_000 ? rate : throw Invalid("limits.connect-rate", "must be 0 (no limit) to 1000000 connections a second"),
            SharedSubscriptionStrategy = c.GetString("sessions.shared-subscription-strategy") switch
            {
                "round-robin" => SharedSubscriptionStrategy.RoundRobin,
                "random" => SharedSubscriptionStrategy.Random,
                var other => throw Invalid("sessions.shared-subscription-strategy", $"'{other}' is not a strategy: expected round-robin or random"),
            },
            SessionIdleTimeout = c.GetTimeSpan("sessions.idle-timeout") is var idle && idle >= TimeSpan.Zero ? idle : throw Invalid("sessions.idle-timeout", "must be 0 (never) or longer"),
            SysInterval = c.GetTimeSpan("sys-interval") is var sys && sys >= TimeSpan.Zero ? sys : throw Invalid("sys-interval", "must be 0 (off) or longer"),
            Persistence = StoreSettings.From(full),
            Cluster = ClusterNodeSettings.From(full),
            Auth = ReadAuth(c),
            Bridges = BridgeSettings.ReadAll(c),
            Extensions = ExtensionSettings.ReadAll(c),
            ExtensionCacheTtl = c.GetTimeSpan("extension-cache.ttl") is var ttl && ttl >= TimeSpan.Zero ? ttl : throw Invalid("extension-cache.ttl", "must be 0 (ask every time) or longer"),
            ExtensionCacheEntries = c.GetInt("extension-cache.max-entries") is var entries and >= 0 and <= 65_536 ? entries : throw Invalid("extension-cache.max-entries", "must be 0 (ask every time) to 65536"),
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

    /// <summary>An error in the value of <c>actors-mqtt.</c><paramref name="key"/>, which the host reports at its file and line.</summary>
    internal static ConfigurationException Invalid(string key, string problem)
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
