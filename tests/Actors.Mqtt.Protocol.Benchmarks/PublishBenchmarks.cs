using System.Buffers;
using Actors.Mqtt.Protocol.Codec;
using Actors.Mqtt.Protocol.Packets;
using BenchmarkDotNet.Attributes;

namespace Actors.Mqtt.Protocol.Benchmarks;

/// <summary>
/// The PUBLISH hot path: a QoS 1 message with a 64-byte payload, decoded from one contiguous buffer (with and
/// without the per-connection topic cache) and encoded into a reused buffer writer.
/// </summary>
[MemoryDiagnoser]
public class PublishBenchmarks
{
    private const string Topic = "sensors/building-1/floor-3/temperature";
    private const int PayloadSize = 64;

    private PublishPacket packet = null!;
    private ReadOnlySequence<byte> input;
    private Utf8StringCache cache = null!;
    private ArrayBufferWriter<byte> output = null!;

    [Params(MqttProtocolVersion.V311, MqttProtocolVersion.V500)]
    public MqttProtocolVersion Version { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var payload = new byte[PayloadSize];
        for (var i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)i;
        }

        packet = new PublishPacket
        {
            Topic = Topic,
            Payload = payload,
            QoS = QualityOfService.AtLeastOnce,
            PacketId = 42,
        };

        var bytes = new ArrayBufferWriter<byte>();
        MqttPacketEncoder.Encode(packet, Version, bytes);
        input = new ReadOnlySequence<byte>(bytes.WrittenMemory.ToArray());
        output = new ArrayBufferWriter<byte>(bytes.WrittenCount);

        // One cache per connection in the broker: created once, warmed by the first PUBLISH on the topic.
        cache = new Utf8StringCache();
        Check(Decode(cache));
        Check(Decode(null));
    }

    [Benchmark]
    public MqttPacket? DecodeWithCache() => Decode(cache);

    [Benchmark]
    public MqttPacket? DecodeWithoutCache() => Decode(null);

    [Benchmark]
    public int Encode()
    {
        output.ResetWrittenCount();
        return MqttPacketEncoder.Encode(packet, Version, output);
    }

    private MqttPacket? Decode(Utf8StringCache? topicCache)
    {
        var buffer = input;
        MqttPacketDecoder.TryRead(ref buffer, Version, int.MaxValue, out var decoded, out _, topicCache);
        return decoded;
    }

    private void Check(MqttPacket? decoded)
    {
        if (decoded is not PublishPacket p || p.Topic != Topic || p.Payload.Length != PayloadSize || p.PacketId != packet.PacketId)
        {
            throw new InvalidOperationException($"PUBLISH did not decode back for {Version}");
        }
    }
}
