using System.Buffers;
using System.IO.Pipelines;
using Actors.Mqtt.Broker;
using Akka.Streams;
using Akka.Streams.Stage;

namespace Actors.Mqtt.Server.Transport;

/// <summary>
/// Emits what a connection's <see cref="PipeReader"/> receives, one read per downstream pull, each element a fresh
/// copy of at most <see cref="MaxChunkSize"/> bytes.
/// </summary>
/// <remarks>
/// The bytes are copied because the pipe recycles its memory after <c>AdvanceTo</c>, while the broker keeps slices of
/// what it receives (payloads, topic names). Nothing is allocated before a read returns data: Kestrel only rents a
/// receive buffer once bytes arrive, so an idle connection costs next to no memory, and this stage must not undo that.
/// Reads go through an async callback, so no thread waits for a quiet client.
/// </remarks>
public sealed class PipeReaderSource : GraphStage<SourceShape<ReadOnlyMemory<byte>>>
{
    /// <summary>Large enough that one element carries many small MQTT packets; small enough that one fast
    /// publisher cannot make the broker hold megabytes in a single element.</summary>
    public const int DefaultMaxChunkSize = 64 * 1024;

    private readonly Outlet<ReadOnlyMemory<byte>> _out = new("PipeReaderSource.out");

    /// <summary>A source of the <see cref="ConnectionPipes"/> attribute's input pipe.</summary>
    public PipeReaderSource(int maxChunkSize = DefaultMaxChunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxChunkSize);
        MaxChunkSize = maxChunkSize;
        Shape = new SourceShape<ReadOnlyMemory<byte>>(_out);
    }

    public int MaxChunkSize { get; }

    public override SourceShape<ReadOnlyMemory<byte>> Shape { get; }

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("pipe-reader-source");

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this, ConnectionPipes.Of(inheritedAttributes).Input);

    private sealed class Logic : OutGraphStageLogic
    {
        // Who may touch the reader: the stage (Idle), the continuation of an in-flight read (Reading), or, once the
        // stage has stopped, whichever of the two comes last, which then completes the reader exactly once.
        private const int Idle = 0;
        private const int Reading = 1;
        private const int Stopped = 2;

        private readonly PipeReaderSource _stage;
        private readonly PipeReader _reader;
        // One callback for both outcomes, a ReadResult or an Exception: each async callback is a few hundred bytes
        // of every idle connection.
        private Action<object> _onReadDone = null!;
        private readonly Action _onReadCompleted;
        private ValueTask<ReadResult> _pending;
        private int _state = Idle;

        public Logic(PipeReaderSource stage, PipeReader reader) : base(stage.Shape)
        {
            _stage = stage;
            _reader = reader;
            _onReadCompleted = OnReadCompleted;
            SetHandler(stage._out, this);
        }

        public override void PreStart()
        {
            _onReadDone = GetAsyncCallback<object>(OnReadDone);
        }

        public override void OnPull() => Read();

        public override void PostStop()
        {
            if (Interlocked.Exchange(ref _state, Stopped) == Reading)
            {
                // The continuation of the pending read completes the reader once the read returns.
                _reader.CancelPendingRead();
            }
            else
            {
                _reader.Complete();
            }
        }

        private void Read()
        {
            ValueTask<ReadResult> pending;
            try
            {
                pending = _reader.ReadAsync();
            }
            catch (Exception e)
            {
                FailStage(e);
                return;
            }

            if (pending.IsCompletedSuccessfully)
            {
                OnRead(pending.Result);
                return;
            }

            // The continuation is registered on the pipe's awaitable itself: an async method here would keep a state
            // machine box of every idle connection alive for as long as it waits.
            _pending = pending;
            Volatile.Write(ref _state, Reading);
            pending.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onReadCompleted);
        }

        private void OnReadCompleted()
        {
            ReadResult result = default;
            Exception? failure = null;
            try
            {
                result = _pending.GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                failure = e;
            }

            _pending = default;
            if (Interlocked.CompareExchange(ref _state, Idle, Reading) != Reading)
            {
                _reader.Complete();
                return;
            }

            _onReadDone(failure ?? (object)result);
        }

        private void OnReadDone(object outcome)
        {
            if (outcome is Exception failure)
            {
                FailStage(failure);
            }
            else
            {
                OnRead((ReadResult)outcome);
            }
        }

        private void OnRead(ReadResult result)
        {
            var buffer = result.Buffer;
            if (result.IsCanceled)
            {
                _reader.AdvanceTo(buffer.Start);
                CompleteStage();
                return;
            }

            if (buffer.IsEmpty)
            {
                _reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    CompleteStage();
                }
                else
                {
                    Read();
                }

                return;
            }

            var chunk = buffer.Length > _stage.MaxChunkSize ? buffer.Slice(0, _stage.MaxChunkSize) : buffer;
            var bytes = chunk.ToArray();
            BrokerMetrics.BytesReceived.Add(bytes.Length);
            // Examined stops where consumed does: marking the rest as examined would make the next read wait for
            // new bytes while the rest of a capped chunk is still in the pipe.
            _reader.AdvanceTo(chunk.End);
            Push(_stage._out, new ReadOnlyMemory<byte>(bytes));
        }
    }
}
