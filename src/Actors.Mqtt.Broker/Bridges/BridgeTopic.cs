using Actors.Mqtt.Protocol;

namespace Actors.Mqtt.Broker.Bridges;

/// <summary>Which way a bridged topic's messages go: from this broker to the remote one, the other way, or both.</summary>
public enum BridgeDirection
{
    Out,
    In,
    Both,
}

/// <summary>
/// One entry of a bridge's <c>topics</c>, as Mosquitto's <c>topic pattern direction qos local-prefix remote-prefix</c>:
/// the local side subscribes to <see cref="LocalFilter"/>, the remote side to <see cref="RemoteFilter"/>, and a topic
/// crossing the bridge trades one prefix for the other.
/// </summary>
public sealed record BridgeTopic(string Pattern, BridgeDirection Direction, QualityOfService QoS, string LocalPrefix, string RemotePrefix)
{
    public string LocalFilter => LocalPrefix + Pattern;

    public string RemoteFilter => RemotePrefix + Pattern;

    public bool Out => Direction is BridgeDirection.Out or BridgeDirection.Both;

    public bool In => Direction is BridgeDirection.In or BridgeDirection.Both;

    /// <summary>The remote topic of a local one this entry matched (its filter starts with the local prefix).</summary>
    public string ToRemote(string localTopic) => RemotePrefix + localTopic[LocalPrefix.Length..];

    /// <summary>The local topic of a remote one this entry matched.</summary>
    public string ToLocal(string remoteTopic) => LocalPrefix + remoteTopic[RemotePrefix.Length..];
}
