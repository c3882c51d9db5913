using Actors.Mqtt.Protocol.Properties;

namespace Actors.Mqtt.Protocol.Packets;

/// <summary>CONNECT: the first packet from a client; it names the protocol version of everything after it.</summary>
public sealed record ConnectPacket : MqttPacket
{
    public override PacketType Type => PacketType.Connect;

    public MqttProtocolVersion ProtocolVersion { get; init; } = MqttProtocolVersion.V311;

    /// <summary>May be empty: the server then assigns one (3.1.1 with clean session, and 5.0) or refuses.</summary>
    public string ClientId { get; init; } = string.Empty;

    /// <summary>Clean Session (3.1, 3.1.1) or Clean Start (5.0).</summary>
    public bool CleanSession { get; init; } = true;

    public ushort KeepAliveSeconds { get; init; }

    public string? UserName { get; init; }

    /// <summary>Binary data; never logged. A slice of the received packet.</summary>
    public ReadOnlyMemory<byte>? Password { get; init; }

    public MqttWill? Will { get; init; }

    public MqttProperties? Properties { get; init; }
}
