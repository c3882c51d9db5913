using System.Buffers;
using Actors.Mqtt.Protocol.Codec;
using Actors.Mqtt.Protocol.Packets;
using BenchmarkDotNet.Attributes;

namespace Actors.Mqtt.Protocol.Benchmarks;

/// <summary>A SUBSCRIBE with ten filters (plain, <c>+</c> and <c>#</c>), decoded and encoded.</summary>
[MemoryDiagnoser]
public class SubscribeBenchmarks
{
    private static readonly string[] Filters =
    [
        "sensors/building-1/floor-3/temperature",
        "sensors/+/floor-3/humidity",
        "sensors/building-1/#",
        "devices/+/status",
        "alerts/#",
        "home/kitchen/light",
        "+/+/battery",
        "factory/line-2/+/pressure",
        "logs/gateway-7/error",
        "#",
    ];

    private SubscribePacket packet = null!;
    private ReadOnlySequence<byte> input;
    private ArrayBufferWriter<byte> output = null!;

    [Params(MqttProtocolVersion.V311, MqttProtocolVersion.V500)]
    public MqttProtocolVersion Version { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        packet = new SubscribePacket
        {
            PacketId = 7,
            Subscriptions = [.. Filters.Select((f, i) => new MqttSubscription(f) { MaximumQoS = (QualityOfService)(i % 3) })],
        };

        var bytes = new ArrayBufferWriter<byte>();
        MqttPacketEncoder.Encode(packet, Version, bytes);
        input = new ReadOnlySequence<byte>(bytes.WrittenMemory.ToArray());
        output = new ArrayBufferWriter<byte>(bytes.WrittenCount);

        if (Decode() is not SubscribePacket decoded || !decoded.Subscriptions.SequenceEqual(packet.Subscriptions))
        {
            throw new InvalidOperationException($"SUBSCRIBE did not decode back for {Version}");
        }
    }

    [Benchmark]
    public MqttPacket? Decode()
    {
        var buffer = input;
        MqttPacketDecoder.TryRead(ref buffer, Version, int.MaxValue, out var decoded, out _);
        return decoded;
    }

    [Benchmark]
    public int Encode()
    {
        output.ResetWrittenCount();
        return MqttPacketEncoder.Encode(packet, Version, output);
    }
}
