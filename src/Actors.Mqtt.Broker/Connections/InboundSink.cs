using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Stage;

namespace Actors.Mqtt.Broker.Connections;

/// <summary>
/// Hands a connection's frame batches to its actor one at a time, each once the actor acknowledged the one before
/// (<see cref="InboundAck"/>), with one batch read ahead: withholding the acknowledgement is how the actor stops reading
/// its socket. The actor comes from the <see cref="ConnectionOwner"/> attribute, so one instance serves every connection.
/// The messages are those of Akka's <c>Sink.ActorRefWithAck</c>, which holds its actor in the stage instance instead.
/// </summary>
public sealed class InboundSink : GraphStage<SinkShape<FrameBatch>>
{
    private const int ReadAhead = 1;

    private readonly Inlet<FrameBatch> inlet = new("mqtt-inbound.in");

    public override SinkShape<FrameBatch> Shape => new(inlet);

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this, ConnectionOwner.Of(inheritedAttributes));

    private sealed class Logic : InGraphStageLogic
    {
        private readonly Inlet<FrameBatch> inlet;
        private readonly IActorRef owner;
        private readonly Queue<FrameBatch> waiting = new();
        private StageActor? self;
        private bool acknowledged;
        private bool upstreamDone;

        public Logic(InboundSink stage, IActorRef owner)
            : base(stage.Shape)
        {
            inlet = stage.inlet;
            this.owner = owner;
            SetHandler(inlet, this);
        }

        public override void PreStart()
        {
            // The actor's acknowledgements may come after the socket ended; the stage waits for them.
            SetKeepGoing(true);
            self = GetStageActor(OnMessage);
            self.Watch(owner);
            owner.Tell(InboundInit.Instance, self.Ref);
            Pull(inlet);
        }

        public override void OnPush()
        {
            waiting.Enqueue(Grab(inlet));
            if (acknowledged)
            {
                SendNext();
            }

            PullIfRoom();
        }

        public override void OnUpstreamFinish()
        {
            upstreamDone = true;
            if (waiting.Count == 0)
            {
                Finish();
            }
        }

        public override void OnUpstreamFailure(Exception e)
        {
            owner.Tell(new InboundFailed(e), self!.Ref);
            FailStage(e);
        }

        private void OnMessage((IActorRef Sender, object Message) envelope)
        {
            switch (envelope.Message)
            {
                case InboundAck:
                    acknowledged = true;
                    if (waiting.Count > 0)
                    {
                        SendNext();
                    }

                    if (upstreamDone && waiting.Count == 0)
                    {
                        // The last batch went before this; the end follows it.
                        Finish();
                    }
                    else
                    {
                        PullIfRoom();
                    }

                    break;
                case Terminated:
                    // The connection actor is gone: nothing more can be read for it.
                    CompleteStage();
                    break;
            }
        }

        private void SendNext()
        {
            acknowledged = false;
            owner.Tell(waiting.Dequeue(), self!.Ref);
        }

        private void PullIfRoom()
        {
            if (!upstreamDone && !HasBeenPulled(inlet) && waiting.Count < ReadAhead)
            {
                Pull(inlet);
            }
        }

        private void Finish()
        {
            owner.Tell(InboundCompleted.Instance, self!.Ref);
            CompleteStage();
        }
    }
}
