using System.Buffers;
using System.Buffers.Binary;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Codec;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Bench.Clients;

/// <summary>
/// One PUBLISH encoded once by the project's encoder; each message is a copy with its packet id and payload head
/// patched in, so a publisher costs a memory copy per message instead of an encode.
/// </summary>
public sealed class PublishTemplate
{
    private readonly byte[] bytes;
    private readonly int payloadOffset;

    public PublishTemplate(string topic, QualityOfService qos, int payloadSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(payloadSize, Payload.HeaderSize);
        QoS = qos;
        var packet = new PublishPacket
        {
            Topic = topic,
            QoS = qos,
            PacketId = qos == QualityOfService.AtMostOnce ? (ushort)0 : (ushort)1,
            Payload = new byte[payloadSize],
        };
        var writer = new ArrayBufferWriter<byte>();
        MqttPacketEncoder.Encode(packet, RawMqttConnection.Version, writer);
        bytes = writer.WrittenSpan.ToArray();
        payloadOffset = bytes.Length - payloadSize;
    }

    public QualityOfService QoS { get; }

    /// <summary>Bytes of one encoded message.</summary>
    public int Size => bytes.Length;

    /// <summary>Writes one message at the start of <paramref name="destination"/> and returns its size.</summary>
    public int Write(Span<byte> destination, ushort packetId, in Payload payload)
    {
        bytes.CopyTo(destination);
        if (QoS != QualityOfService.AtMostOnce)
        {
            // MQTT 3.1.1: the packet id sits right before the payload (no properties).
            BinaryPrimitives.WriteUInt16BigEndian(destination[(payloadOffset - 2)..], packetId);
        }

        payload.WriteTo(destination[payloadOffset..]);
        return bytes.Length;
    }
}
