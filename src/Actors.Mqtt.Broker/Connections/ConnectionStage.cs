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
/// A connection's stream as its actor sees it, both ways in one stage.
/// <list type="bullet">
/// <item>In: the bytes the client sends are cut into packets (<see cref="FrameAssembler"/>) and handed to the actor
/// one batch at a time, each once the actor acknowledged the one before (<see cref="InboundAck"/>), with one batch read
/// ahead: withholding the acknowledgement is how the actor stops reading its socket.</item>
/// <item>Out: packets sent to this stage's actor are encoded when the socket asks for more, everything queued then as
/// one chunk, so many small packets cost one write. The stage reports what it wrote (<see cref="OutboundWritten"/>)
/// and when packets wait for the socket (<see cref="OutboundBlocked"/>); the actor keeps the queue bounded.</item>
/// </list>
/// The actor comes from the <see cref="ConnectionOwner"/> attribute, so one instance serves every connection, and talks
/// back through the callback in <see cref="StreamReady"/>; one stage, not a stage per step, because every stage and
/// stage actor is memory of every idle connection.
/// </summary>
/// <param name="maximumPacketSize">The largest packet read from the client.</param>
/// <param name="drainTimeout">How long the packets an actor sent before it ended (a DISCONNECT with its reason code) may
/// wait for a client that does not read; 10 s when not given.</param>
public sealed class ConnectionStage(int maximumPacketSize, TimeSpan? drainTimeout = null) : GraphStage<FlowShape<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>>>
{
    private const int MaxChunkBytes = 64 * 1024;

    private readonly int maximumPacketSize = maximumPacketSize;
    private readonly TimeSpan drainTimeout = drainTimeout ?? TimeSpan.FromSeconds(10);
    private readonly Inlet<ReadOnlyMemory<byte>> inlet = new("mqtt-connection.in");
    private readonly Outlet<ReadOnlyMemory<byte>> outlet = new("mqtt-connection.out");

    public override FlowShape<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>> Shape => new(inlet, outlet);

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this, ConnectionOwner.Of(inheritedAttributes));

    private sealed class Logic : InAndOutGraphStageLogic
    {
        private readonly ConnectionStage stage;
        private readonly IActorRef owner;
        private readonly FrameAssembler frames;
        private Action<object>? send;

        // In: the batch read ahead, whether the actor has asked for the next one, and how far the input got.
        private FrameBatch? waiting;
        private bool acknowledged;
        private bool inputEnded;
        private bool inputReported;

        // Out: made at the first packet, since an idle connection has nothing to send.
        private Queue<MqttPacket>? queue;
        private MqttProtocolVersion version = MqttProtocolVersion.V311;
        private bool completing;
        private bool blocked;
        private bool outputEnded;

        public Logic(ConnectionStage stage, IActorRef owner)
            : base(stage.Shape)
        {
            this.stage = stage;
            this.owner = owner;
            frames = new FrameAssembler(stage.maximumPacketSize);
            SetHandler(stage.inlet, this);
            SetHandler(stage.outlet, this);
        }

        public override void PreStart()
        {
            // Each side ends on its own: the actor's last signals may come after the socket's input ended, and the
            // output drains after that.
            SetKeepGoing(true);
            send = GetAsyncCallback<object>(OnMessage);
            owner.Tell(new StreamReady(send));
            Pull(stage.inlet);
        }

        public override void OnPush()
        {
            if (frames.Add(Grab(stage.inlet)) is not { } batch)
            {
                Pull(stage.inlet);
                return;
            }

            waiting = batch;
            if (batch.Error is not null)
            {
                // Nothing after a malformed header can be read as MQTT: stop reading the socket.
                inputEnded = true;
                Cancel(stage.inlet);
            }

            if (acknowledged)
            {
                SendNext();
            }

            if (inputEnded && waiting is null)
            {
                ReportInputEnded();
            }
            else
            {
                PullIfRoom();
            }
        }

        public override void OnUpstreamFinish()
        {
            inputEnded = true;
            if (waiting is null)
            {
                ReportInputEnded();
            }
        }

        public override void OnUpstreamFailure(Exception e)
        {
            inputEnded = true;
            inputReported = true;
            waiting = null;
            owner.Tell(new InboundFailed(e));
            CompleteWhenBothEnded();
        }

        public override void OnPull() => Flush();

        public override void OnDownstreamFinish(Exception cause)
        {
            // The socket takes no more: what is queued is dropped, and the input goes on until it ends too.
            outputEnded = true;
            queue = null;
            CompleteWhenBothEnded();
        }

        private void OnMessage(object message)
        {
            switch (message)
            {
                case InboundAck:
                    acknowledged = true;
                    if (waiting is not null)
                    {
                        SendNext();
                    }

                    if (inputEnded && waiting is null)
                    {
                        // The last batch went before this; the end follows it.
                        ReportInputEnded();
                    }
                    else
                    {
                        PullIfRoom();
                    }

                    break;
                case OutboundPacket packet:
                    Enqueue(packet.Packet);
                    Flush();
                    break;
                case OutboundPackets packets:
                    foreach (var p in packets.Packets)
                    {
                        Enqueue(p);
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
                case ConnectionEnded:
                    OnConnectionEnded();
                    break;
                case DrainTimedOut:
                    CompleteStage();
                    break;
            }
        }

        /// <summary>
        /// The connection actor is gone: nothing more is read for it. What it sent before it asked for the end still
        /// goes out, so a client learns why it was closed, but a client that does not read keeps the stage only until
        /// the drain timeout.
        /// </summary>
        private void OnConnectionEnded()
        {
            Flush();
            if (!completing || outputEnded)
            {
                CompleteStage();
                return;
            }

            inputEnded = true;
            inputReported = true;
            waiting = null;
            if (!IsClosed(stage.inlet))
            {
                Cancel(stage.inlet);
            }

            _ = Task.Delay(stage.drainTimeout).ContinueWith(
                static (_, callback) => ((Action<object>)callback!)(DrainTimedOut.Instance),
                send,
                CancellationToken.None,
                TaskContinuationOptions.None,
                TaskScheduler.Default);
        }

        private void SendNext()
        {
            acknowledged = false;
            var batch = waiting!;
            waiting = null;
            owner.Tell(batch);
        }

        private void PullIfRoom()
        {
            if (!inputEnded && waiting is null && !HasBeenPulled(stage.inlet))
            {
                Pull(stage.inlet);
            }
        }

        private void ReportInputEnded()
        {
            if (inputReported)
            {
                return;
            }

            inputReported = true;
            owner.Tell(InboundCompleted.Instance);
            CompleteWhenBothEnded();
        }

        private void Enqueue(MqttPacket packet)
        {
            if (!outputEnded)
            {
                (queue ??= new Queue<MqttPacket>()).Enqueue(packet);
            }
        }

        private void Flush()
        {
            if (outputEnded)
            {
                return;
            }

            if (queue is { Count: > 0 } && IsAvailable(stage.outlet))
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
            else if (queue is { Count: > 0 } && !blocked)
            {
                blocked = true;
                owner.Tell(OutboundBlocked.Instance);
            }

            if (completing && queue is not { Count: > 0 })
            {
                outputEnded = true;
                Complete(stage.outlet);
                CompleteWhenBothEnded();
            }
        }

        private void CompleteWhenBothEnded()
        {
            if (outputEnded && inputReported)
            {
                CompleteStage();
            }
        }
    }

    private sealed record DrainTimedOut
    {
        public static readonly DrainTimedOut Instance = new();

        private DrainTimedOut()
        {
        }
    }
}
