using System.Globalization;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Topics;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace Actors.Mqtt.Broker.Bridges;

/// <summary>A bridge's TLS: on when asked for or when a CA file is named (as Mosquitto's bridge_cafile turns it on).</summary>
/// <param name="CaFile">The authorities the remote's certificate must chain to; null trusts the system's roots.</param>
public sealed record BridgeTls(bool Enabled, string? CaFile, string? Certificate, string? PrivateKey);

/// <summary>
/// One object under <c>actors-mqtt.bridges</c>, named by its key, over <c>actors-mqtt.bridge-defaults</c>: where the
/// remote broker is, how to log in to it, and which topics cross (docs/configuration.md, "Bridges").
/// </summary>
public sealed record BridgeSettings
{
    /// <summary>The bridge's local session is that of this client id: no network client may take it.</summary>
    public const string ClientIdPrefix = "$bridge/";

    public required string Name { get; init; }

    public required string Host { get; init; }

    public required int Port { get; init; }

    public MqttProtocolVersion Protocol { get; init; } = MqttProtocolVersion.V311;

    /// <summary>The client id the bridge connects to the remote broker with.</summary>
    public required string RemoteClientId { get; init; }

    public string? Username { get; init; }

    public string? Password { get; init; }

    public BridgeTls Tls { get; init; } = new(false, null, null, null);

    /// <summary>Whether the remote session starts afresh at every connection (the local session never does).</summary>
    public bool CleanSession { get; init; }

    /// <summary>The most messages waiting for the remote in the bridge's session; null for <c>limits.max-queued-messages</c>.</summary>
    public int? MaxQueuedMessages { get; init; }

    /// <summary>The most payload bytes waiting for the remote (0 for no limit); null for <c>limits.max-queued-bytes</c>.</summary>
    public long? MaxQueuedBytes { get; init; }

    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The first wait before connecting again; it doubles, with jitter, up to <see cref="RestartCap"/>.</summary>
    public TimeSpan RestartBase { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan RestartCap { get; init; } = TimeSpan.FromSeconds(30);

    public required IReadOnlyList<BridgeTopic> Topics { get; init; }

    /// <summary>The client id of the bridge's session in this broker.</summary>
    public string LocalClientId => ClientIdPrefix + Name;

    /// <summary>Reads every bridge of the <c>actors-mqtt</c> section <paramref name="c"/>.</summary>
    public static IReadOnlyList<BridgeSettings> ReadAll(Config c)
    {
        ArgumentNullException.ThrowIfNull(c);
        if (!c.HasPath("bridges") || !c.GetValue("bridges").IsObject())
        {
            return [];
        }

        var defaults = c.GetConfig("bridge-defaults");
        var bridges = new List<BridgeSettings>();
        foreach (var (name, value) in c.GetConfig("bridges").Root.GetObject().Items)
        {
            var key = $"bridges.{name}";
            if (!value.IsObject())
            {
                throw BrokerSettings.Invalid(key, "is not a bridge: expected an object with at least an address and topics");
            }

            bridges.Add(Read(name, key, c.GetConfig(key).WithFallback(defaults), defaults.GetConfig("topic")));
        }

        return bridges;
    }

    private static BridgeSettings Read(string name, string key, Config b, Config topicDefaults)
    {
        // Reported at the bridge's own key when the address is missing, since a key never set has no line to point at.
        var address = b.GetString("address");
        if (string.IsNullOrWhiteSpace(address))
        {
            throw BrokerSettings.Invalid(key, "has no address: expected address = \"host:port\" of the remote broker");
        }

        var (host, port) = ReadAddress(address, $"{key}.address");
        var protocol = b.GetString("protocol") switch
        {
            "mqttv311" => MqttProtocolVersion.V311,
            "mqttv5" => MqttProtocolVersion.V500,
            var other => throw BrokerSettings.Invalid($"{key}.protocol", $"'{other}' is not a protocol: expected mqttv311 or mqttv5"),
        };
        var keepAlive = b.GetTimeSpan("keep-alive");
        if (keepAlive < TimeSpan.Zero || keepAlive.TotalSeconds > ushort.MaxValue)
        {
            throw BrokerSettings.Invalid($"{key}.keep-alive", "is out of range: expected 0s (off) to 65535s");
        }

        var restartBase = b.GetTimeSpan("restart-timeout-base");
        var restartCap = b.GetTimeSpan("restart-timeout-cap");
        if (restartBase <= TimeSpan.Zero)
        {
            throw BrokerSettings.Invalid($"{key}.restart-timeout-base", "must be longer than 0");
        }

        if (restartCap < restartBase)
        {
            throw BrokerSettings.Invalid($"{key}.restart-timeout-cap", "must be at least restart-timeout-base");
        }

        var topics = ReadTopics(b, key, topicDefaults);
        var clientId = b.GetString("client-id");
        var caFile = ExistingFile(b.GetString("tls.ca-file"), $"{key}.tls.ca-file");
        var certificate = Optional(b.GetString("tls.certificate"));
        var privateKey = Optional(b.GetString("tls.private-key"));
        if ((certificate is null) != (privateKey is null))
        {
            throw BrokerSettings.Invalid($"{key}.tls.{(certificate is null ? "certificate" : "private-key")}", "is needed with the other: a client certificate takes both");
        }

        return new BridgeSettings
        {
            Name = name,
            Host = host,
            Port = port,
            Protocol = protocol,
            RemoteClientId = string.IsNullOrEmpty(clientId) ? $"{Environment.MachineName}.{name}" : clientId,
            Username = Optional(b.GetString("username")),
            Password = Optional(b.GetString("password")),
            Tls = new BridgeTls(
                b.GetBoolean("tls.enabled") || caFile is not null,
                caFile,
                ExistingFile(certificate, $"{key}.tls.certificate"),
                ExistingFile(privateKey, $"{key}.tls.private-key")),
            CleanSession = b.GetBoolean("clean-session"),
            MaxQueuedMessages = b.GetString("max-queued-messages") is null ? null
                : b.GetInt("max-queued-messages") is var messages and >= 0 ? messages : throw BrokerSettings.Invalid($"{key}.max-queued-messages", "must be null (the limit of every session) or 0 or more"),
            MaxQueuedBytes = b.GetString("max-queued-bytes") is null ? null
                : b.GetByteSize("max-queued-bytes") is { } bytes and >= 0 ? bytes : throw BrokerSettings.Invalid($"{key}.max-queued-bytes", "must be null (the limit of every session), 0 (no limit) or more"),
            KeepAlive = keepAlive,
            RestartBase = restartBase,
            RestartCap = restartCap,
            Topics = topics,
        };
    }

    private static List<BridgeTopic> ReadTopics(Config b, string bridgeKey, Config topicDefaults)
    {
        var key = $"{bridgeKey}.topics";
        var topics = new List<BridgeTopic>();
        var items = b.HasPath("topics") ? b.GetValue("topics").GetArray() : [];
        for (var i = 0; i < items.Count; i++)
        {
            if (!items[i].IsObject())
            {
                throw BrokerSettings.Invalid(key, $"item {i + 1} is not a topic: expected an object with a pattern");
            }

            var t = new Config(new HoconRoot(items[i])).WithFallback(topicDefaults);
            var pattern = t.GetString("pattern");
            var local = t.GetString("local-prefix");
            var remote = t.GetString("remote-prefix");
            var direction = t.GetString("direction") switch
            {
                "out" => BridgeDirection.Out,
                "in" => BridgeDirection.In,
                "both" => BridgeDirection.Both,
                var other => throw BrokerSettings.Invalid(key, $"item {i + 1}: direction '{other}' is not one: expected out, in or both"),
            };
            var qos = t.GetInt("qos");
            if (qos is < 0 or > 2)
            {
                throw BrokerSettings.Invalid(key, $"item {i + 1}: qos {qos} is out of range: expected 0 to 2");
            }

            // Both sides subscribe to the prefixed pattern, so that is the filter that must be valid.
            foreach (var filter in new[] { local + pattern, remote + pattern })
            {
                if (!TopicFilter.TryParse(filter, allowShared: false, out _, out var error))
                {
                    throw BrokerSettings.Invalid(key, $"item {i + 1}: '{filter}' is not a topic filter: {error.Message}");
                }
            }

            topics.Add(new BridgeTopic(pattern, direction, (QualityOfService)qos, local, remote));
        }

        return topics.Count > 0 ? topics : throw BrokerSettings.Invalid(bridgeKey, "has no topics: expected topics = [ { pattern = \"...\", direction = out } ] with at least one");
    }

    private static (string Host, int Port) ReadAddress(string address, string key)
    {
        var colon = address.LastIndexOf(':');
        if (colon < 0)
        {
            return (address, 1883);
        }

        var host = address[..colon].Trim('[', ']');
        return host.Length > 0 && int.TryParse(address[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535
            ? (host, port)
            : throw BrokerSettings.Invalid(key, $"'{address}' is not host:port (port 1 to 65535)");
    }

    private static string? Optional(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>A file is checked at start-up, where its key can be named, rather than at each connection attempt.</summary>
    private static string? ExistingFile(string? path, string key)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return null;
        }

        var full = Path.GetFullPath(path);
        return File.Exists(full) ? full : throw BrokerSettings.Invalid(key, $"file not found: {full}");
    }
}
