using System.Buffers;

namespace Actors.Mqtt.Protocol.Codec;

/// <summary>
/// One whole packet cut from the byte stream: the first byte of the fixed header and the body (variable header
/// and payload) as a slice of the input, not a copy.
/// </summary>
public readonly struct MqttFrame(byte header, ReadOnlySequence<byte> body)
{
    public byte Header { get; } = header;

    public ReadOnlySequence<byte> Body { get; } = body;

    public PacketType Type => (PacketType)(Header >> 4);

    /// <summary>The low nibble of the first byte: DUP, QoS and RETAIN for PUBLISH, fixed values otherwise.</summary>
    public byte Flags => (byte)(Header & 0x0F);

    /// <summary>Bytes on the wire: fixed header and body.</summary>
    public long Size => 1 + VariableByteInteger.GetSize((int)Body.Length) + Body.Length;
}
