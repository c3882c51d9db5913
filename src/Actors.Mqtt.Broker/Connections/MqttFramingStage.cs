using System.Buffers;
using Actors.Mqtt.Protocol.Codec;
using Akka.Streams;
using Akka.Streams.Stage;

namespace Actors.Mqtt.Broker.Connections;

/// <summary>
/// Cuts the byte chunks of a connection into whole MQTT packets, one <see cref="FrameBatch"/> per chunk that
/// completes at least one packet. Bytes of a packet that is not complete yet wait as a list of chunks and are
/// joined once, when the packet is whole. A packet over the maximum size is refused from its header, before its
/// body is buffered.
/// </summary>
public sealed class MqttFramingStage(int maximumPacketSize) : GraphStage<FlowShape<ReadOnlyMemory<byte>, FrameBatch>>
{
    private readonly int maximumPacketSize = maximumPacketSize;
    private readonly Inlet<ReadOnlyMemory<byte>> inlet = new("mqtt-framing.in");
    private readonly Outlet<FrameBatch> outlet = new("mqtt-framing.out");

    public override FlowShape<ReadOnlyMemory<byte>, FrameBatch> Shape => new(inlet, outlet);

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    private sealed class Logic : InAndOutGraphStageLogic
    {
        private readonly MqttFramingStage stage;
        private readonly List<ReadOnlyMemory<byte>> pending = [];
        private long pendingLength;

        public Logic(MqttFramingStage stage)
            : base(stage.Shape)
        {
            this.stage = stage;
            SetHandler(stage.inlet, this);
            SetHandler(stage.outlet, this);
        }

        public override void OnPush()
        {
            var chunk = Grab(stage.inlet);
            if (chunk.IsEmpty)
            {
                Pull(stage.inlet);
                return;
            }

            pending.Add(chunk);
            pendingLength += chunk.Length;

            // Until the header says how long the packet is, or while it is still short, waiting costs no copy.
            if (pending.Count > 1 && !EnoughForOnePacket())
            {
                Pull(stage.inlet);
                return;
            }

            var buffer = Join();
            var frames = new List<MqttFrame>();
            Protocol.MqttError? error = null;
            while (true)
            {
                var status = MqttFrameReader.TryRead(ref buffer, stage.maximumPacketSize, out var frame, out var frameError);
                if (status == OperationStatus.Done)
                {
                    frames.Add(frame);
                    continue;
                }

                if (status == OperationStatus.InvalidData)
                {
                    error = frameError;
                }

                break;
            }

            Keep(buffer);
            if (frames.Count == 0 && error is null)
            {
                Pull(stage.inlet);
                return;
            }

            Push(stage.outlet, new FrameBatch(frames, error));
            if (error is not null)
            {
                CompleteStage();
            }
        }

        public override void OnPull()
        {
            if (!HasBeenPulled(stage.inlet))
            {
                Pull(stage.inlet);
            }
        }

        /// <summary>One contiguous view of what is pending.</summary>
        private ReadOnlySequence<byte> Join()
        {
            if (pending.Count == 1)
            {
                return new ReadOnlySequence<byte>(pending[0]);
            }

            var joined = new byte[pendingLength];
            var offset = 0;
            foreach (var part in pending)
            {
                part.Span.CopyTo(joined.AsSpan(offset));
                offset += part.Length;
            }

            pending.Clear();
            pending.Add(joined);
            return new ReadOnlySequence<byte>(joined);
        }

        private bool EnoughForOnePacket()
        {
            Span<byte> head = stackalloc byte[5];
            var have = 0;
            foreach (var part in pending)
            {
                var take = Math.Min(part.Length, head.Length - have);
                part.Span[..take].CopyTo(head[have..]);
                have += take;
                if (have == head.Length)
                {
                    break;
                }
            }

            if (have < 2)
            {
                return false;
            }

            var status = VariableByteInteger.TryRead(head[1..have], out var remaining, out var lengthBytes);
            return status != OperationStatus.NeedMoreData
                && (status == OperationStatus.InvalidData || 1 + lengthBytes + remaining > stage.maximumPacketSize || pendingLength >= 1 + lengthBytes + remaining);
        }

        /// <summary>Keeps what was not consumed for the next chunk.</summary>
        private void Keep(ReadOnlySequence<byte> rest)
        {
            if (rest.Length == pendingLength)
            {
                return;
            }

            pending.Clear();
            pendingLength = rest.Length;
            if (!rest.IsEmpty)
            {
                pending.Add(rest.First);
            }
        }
    }
}
