using System.Buffers;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Codec;
using Actors.Mqtt.Protocol.Packets;
using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using Akka.Streams.Stage;

namespace Actors.Mqtt.Broker.Connections;

/// <summary>
/// The connection's way out: packets sent to this stage's actor are encoded and emitted as bytes when the socket
/// asks for more. Everything queued when the socket asks is written as one chunk, so many small packets cost one
/// write. The stage reports what it wrote (<see cref="OutboundWritten"/>); the connection actor counts what is
/// queued and keeps that bounded, so this queue never grows on its own. The actor comes from the
/// <see cref="ConnectionOwner"/> attribute, so one instance serves every connection.
/// </summary>
public sealed class OutboundStage : GraphStage<SourceShape<ReadOnlyMemory<byte>>>
{
    private const int MaxChunkBytes = 64 * 1024;

    private readonly Outlet<ReadOnlyMemory<byte>> outlet = new("mqtt-outbound.out");

    public override SourceShape<ReadOnlyMemory<byte>> Shape => new(outlet);

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this, ConnectionOwner.Of(inheritedAttributes));

    private sealed class Logic : OutGraphStageLogic
    {
        private readonly OutboundStage stage;
        private readonly IActorRef owner;
        private readonly Queue<MqttPacket> queue = new();
        private MqttProtocolVersion version = MqttProtocolVersion.V311;
        private bool completing;
        private bool blocked;

        public Logic(OutboundStage stage, IActorRef owner)
            : base(stage.Shape)
        {
            this.stage = stage;
            this.owner = owner;
            SetHandler(stage.outlet, this);
        }

        public override void PreStart()
        {
            var self = GetStageActor(OnMessage);
            self.Watch(owner);
            owner.Tell(new OutboundReady(self.Ref));
        }

        public override void OnPull() => Flush();

        private void OnMessage((IActorRef Sender, object Message) envelope)
        {
            switch (envelope.Message)
            {
                case OutboundPacket packet:
                    queue.Enqueue(packet.Packet);
                    Flush();
                    break;
                case OutboundPackets packets:
                    foreach (var p in packets.Packets)
                    {
                        queue.Enqueue(p);
                    }

                    Flush();
                    break;
                case OutboundVersion v:
                    version = v.Version;
                    break;
                case OutboundComplete:
                    completing = true;
                    Flush();
                    break;
                case Terminated:
                    CompleteStage();
                    break;
            }
        }

        private void Flush()
        {
            if (queue.Count > 0 && IsAvailable(stage.outlet))
            {
                var writer = new ArrayBufferWriter<byte>();
                var count = 0;
                while (queue.Count > 0 && writer.WrittenCount < MaxChunkBytes)
                {
                    var packet = queue.Dequeue();
                    count++;
                    try
                    {
                        MqttPacketEncoder.Encode(packet, version, writer);
                    }
                    catch (ArgumentException e)
                    {
                        // A packet the broker built wrongly is a bug; the connection and its other packets go on.
                        Log.Error(e, "Dropped a {0} that cannot be encoded for MQTT {1}", packet.Type, version);
                    }
                }

                Push(stage.outlet, writer.WrittenMemory);
                blocked = false;
                owner.Tell(new OutboundWritten(count));
            }
            else if (queue.Count > 0 && !blocked)
            {
                blocked = true;
                owner.Tell(OutboundBlocked.Instance);
            }

            if (completing && queue.Count == 0)
            {
                CompleteStage();
            }
        }
    }
}
