using System.Buffers;
using System.IO.Pipelines;
using Actors.Mqtt.Broker;
using Akka.Streams;
using Akka.Streams.Stage;

namespace Actors.Mqtt.Server.Transport;

/// <summary>
/// Writes each element to a connection's <see cref="PipeWriter"/> and pulls the next one only once the flush has
/// returned, so a client that reads slowly slows the stream down instead of growing a buffer in the server.
/// </summary>
/// <remarks>
/// The materialized task completes when the writer is done: successfully when upstream finished or the client stopped
/// reading for good, with the upstream failure otherwise. One element is written per flush; whoever produces the
/// elements batches small packets into larger ones.
/// </remarks>
public sealed class PipeWriterSink : GraphStageWithMaterializedValue<SinkShape<ReadOnlyMemory<byte>>, Task>
{
    private readonly Inlet<ReadOnlyMemory<byte>> _in = new("PipeWriterSink.in");

    /// <summary>A sink into the <see cref="ConnectionPipes"/> attribute's output pipe.</summary>
    public PipeWriterSink()
    {
        Shape = new SinkShape<ReadOnlyMemory<byte>>(_in);
    }

    public override SinkShape<ReadOnlyMemory<byte>> Shape { get; }

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("pipe-writer-sink");

    public override ILogicAndMaterializedValue<Task> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var logic = new Logic(this, ConnectionPipes.Of(inheritedAttributes).Output);
        return new LogicAndMaterializedValue<Task>(logic, logic.Done);
    }

    private sealed class Logic : InGraphStageLogic
    {
        private readonly PipeWriterSink _stage;
        private readonly PipeWriter _writer;
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        // One callback for both outcomes, a FlushResult or an Exception, made at the first flush that does not complete
        // at once: each async callback is a few hundred bytes, and most connections never fill their socket.
        private Action<object>? _onFlushDone;
        private bool _flushing;
        private bool _upstreamFinished;

        public Logic(PipeWriterSink stage, PipeWriter writer) : base(stage.Shape)
        {
            _stage = stage;
            _writer = writer;
            SetHandler(stage._in, this);
        }

        public Task Done => _done.Task;

        public override void PreStart() => Pull(_stage._in);

        public override void OnPush()
        {
            var element = Grab(_stage._in);
            ValueTask<FlushResult> flush;
            try
            {
                _writer.Write(element.Span);
                BrokerMetrics.BytesSent.Add(element.Length);
                flush = _writer.FlushAsync();
            }
            catch (Exception e)
            {
                Fail(e);
                return;
            }

            if (flush.IsCompletedSuccessfully)
            {
                OnFlushed(flush.Result);
                return;
            }

            _flushing = true;
            _onFlushDone ??= GetAsyncCallback<object>(OnFlushDone);
            _ = AwaitFlush(flush, _onFlushDone);
        }

        public override void OnUpstreamFinish()
        {
            if (_flushing)
            {
                // Stay alive until the last flush returns, or its bytes could be cut off by the writer's completion.
                _upstreamFinished = true;
                SetKeepGoing(true);
                return;
            }

            Finish();
        }

        public override void OnUpstreamFailure(Exception e) => Fail(e);

        public override void PostStop()
        {
            if (!_done.Task.IsCompleted)
            {
                var abrupt = new AbruptStageTerminationException(this);
                _writer.Complete(abrupt);
                _done.TrySetException(abrupt);
            }
        }

        private static async Task AwaitFlush(ValueTask<FlushResult> flush, Action<object> onFlushDone)
        {
            object outcome;
            try
            {
                outcome = await flush.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                outcome = e;
            }

            onFlushDone(outcome);
        }

        private void OnFlushDone(object outcome)
        {
            if (outcome is Exception failure)
            {
                Fail(failure);
            }
            else
            {
                OnFlushed((FlushResult)outcome);
            }
        }

        private void OnFlushed(FlushResult result)
        {
            _flushing = false;
            if (result.IsCompleted || result.IsCanceled || _upstreamFinished)
            {
                // IsCompleted: the transport stopped reading (the client is gone), so nothing more can be delivered.
                Finish();
                return;
            }

            Pull(_stage._in);
        }

        private void Finish()
        {
            _writer.Complete();
            _done.TrySetResult();
            CompleteStage();
        }

        private void Fail(Exception e)
        {
            _writer.Complete(e);
            _done.TrySetException(e);
            FailStage(e);
        }
    }
}
