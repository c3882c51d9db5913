using System.Globalization;
using System.Net;
using Akka.Actor;
using Akka.Configuration;

namespace Actors.Mqtt.Broker.Clustering;

/// <summary>A node's cluster transport, as <c>host:port</c>.</summary>
public readonly record struct NodeAddress(string Host, int Port)
{
    public override string ToString() => Host.Contains(':', StringComparison.Ordinal)
        ? string.Create(CultureInfo.InvariantCulture, $"[{Host}]:{Port}")
        : string.Create(CultureInfo.InvariantCulture, $"{Host}:{Port}");
}

/// <summary>
/// The <c>actors-mqtt.cluster</c> section and the Akka.Remote and Akka.Cluster configuration it stands for: operators
/// say where this node listens and which nodes to join; the actor paths, downing provider and its strategy are derived
/// here (docs/architecture.md, Cluster).
/// </summary>
public sealed record ClusterNodeSettings
{
    /// <summary>The actor system every node runs; seed node addresses name it, so it is the same on all of them.</summary>
    public const string SystemName = "actors-mqtt";

    /// <summary>The address the cluster transport binds and other nodes reach this one at.</summary>
    public string Hostname { get; init; } = "127.0.0.1";

    /// <summary>The cluster transport's port; 0 picks a free one (a node no other node has to reach).</summary>
    public int Port { get; init; }

    /// <summary>The nodes to join; empty: this node finds them through <see cref="Discovery"/>, or without a discovery
    /// method is a one-node cluster and joins itself.</summary>
    public IReadOnlyList<NodeAddress> SeedNodes { get; init; } = [];

    /// <summary>How this node finds the others when it has no seed nodes: Akka.Management's cluster bootstrap.</summary>
    public ClusterDiscoverySettings Discovery { get; init; } = new();

    /// <summary>How long membership must stay unchanged before the split brain resolver downs unreachable nodes.</summary>
    public TimeSpan StableAfter { get; init; } = TimeSpan.FromSeconds(20);

    public static ClusterNodeSettings From(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var c = config.GetConfig("actors-mqtt.cluster");
        var hostname = c.GetString("hostname");
        var port = c.GetInt("port");
        var seeds = ReadAddresses(c, "seed-nodes", "cluster.seed-nodes");
        var discovery = ClusterDiscoverySettings.From(c);
        var stableAfter = c.GetTimeSpan("split-brain-resolver.stable-after");
        if (string.IsNullOrWhiteSpace(hostname) || hostname.Contains(' ', StringComparison.Ordinal))
        {
            throw BrokerSettings.Invalid("cluster.hostname", $"'{hostname}' is not a host name or IP address");
        }

        if (port is < 0 or > 65535)
        {
            throw BrokerSettings.Invalid("cluster.port", $"{port} is out of range: expected 0 (any free port) to 65535");
        }

        if (seeds.Count > 0 && port == 0)
        {
            throw BrokerSettings.Invalid("cluster.port", "is 0, but seed-nodes are set: the other nodes must know where to reach this one, so give it a fixed port");
        }

        if (discovery.Method is not null && seeds.Count > 0)
        {
            throw BrokerSettings.Invalid("cluster.seed-nodes", $"are set, and so is discovery.method = {discovery.Method}: a node joins through one or the other, so empty seed-nodes or unset discovery.method");
        }

        if (discovery.Method is not null && port == 0)
        {
            throw BrokerSettings.Invalid("cluster.port", $"is 0, but discovery.method = {discovery.Method} is set: the other nodes must know where to reach this one, so give it a fixed port");
        }

        if (stableAfter <= TimeSpan.Zero)
        {
            throw BrokerSettings.Invalid("cluster.split-brain-resolver.stable-after", "must be longer than 0");
        }

        return new ClusterNodeSettings { Hostname = hostname, Port = port, SeedNodes = seeds, StableAfter = stableAfter, Discovery = discovery };
    }

    /// <summary>The Akka keys these settings stand for, to put in front of the rest of the configuration.</summary>
    public Config ToAkkaConfig()
    {
        var seeds = string.Join(", ", SeedNodes.Select(s => Quote($"akka.tcp://{SystemName}@{s}")));
        var stableAfter = string.Create(CultureInfo.InvariantCulture, $"{(long)StableAfter.TotalMilliseconds}ms");
        return ConfigurationFactory.ParseString(
            $$"""
            akka.remote.dot-netty.tcp {
              hostname = {{Quote(Hostname)}}
              port = {{Port.ToString(CultureInfo.InvariantCulture)}}
            }
            akka.cluster {
              seed-nodes = [{{seeds}}]
              downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
              split-brain-resolver {
                active-strategy = keep-majority
                stable-after = {{stableAfter}}
              }
            }
            """).WithFallback(Discovery.ToAkkaConfig(Hostname));
    }

    /// <summary>A member's address as operators write it in <c>seed-nodes</c>.</summary>
    public static NodeAddress NodeOf(Address address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return new NodeAddress(address.Host ?? string.Empty, address.Port ?? 0);
    }

    /// <summary>
    /// A list of <c>host:port</c> strings at <paramref name="path"/> of <paramref name="c"/>; <c>--set</c> can give only
    /// a string, so a comma-separated one too. <paramref name="key"/> names it in errors.
    /// </summary>
    internal static List<NodeAddress> ReadAddresses(Config c, string path, string key)
    {
        // Akka reads a string as an empty list and a list as an empty string.
        var list = c.GetStringList(path);
        IEnumerable<string> items = list.Count > 0
            ? list
            : (c.GetString(path) ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var seeds = new List<NodeAddress>();
        foreach (var item in items)
        {
            var colon = item.LastIndexOf(':');
            var host = colon > 0 ? item[..colon].Trim('[', ']') : string.Empty;
            if (colon <= 0 || host.Length == 0
                || !int.TryParse(item[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                throw BrokerSettings.Invalid(key, $"'{item}' is not host:port (a port from 1 to 65535)");
            }

            if (host.Contains(':', StringComparison.Ordinal) && (!item.StartsWith('[') || !IPAddress.TryParse(host, out _)))
            {
                throw BrokerSettings.Invalid(key, $"'{item}' is not host:port (an IPv6 address goes in brackets: [::1]:4053)");
            }

            seeds.Add(new NodeAddress(host, port));
        }

        return seeds;
    }

    internal static string Quote(string text) => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
