using Akka;
using Akka.Streams;
using Akka.Streams.Stage;

namespace Actors.Mqtt.Server.Listeners;

/// <summary>
/// A source that never emits and lives until the actor system ends. Its one job: run the graphs it is handed inside its
/// own stream interpreter, through that interpreter's sub-fusing materializer. Connections run this way share the
/// host's interpreter actor instead of each getting one (its cell, mailbox, path, props and shell bookkeeping, about
/// a kilobyte and a half of every idle connection).
/// </summary>
/// <remarks>
/// The materialized value takes the work: a delegate the stage calls on its interpreter's thread with the
/// sub-fusing materializer. It may be called from any thread, also before the stage has started; once the stage has
/// stopped, the call's feedback fails instead.
/// </remarks>
public sealed class StreamHost : GraphStageWithMaterializedValue<SourceShape<NotUsed>, IAsyncCallback<Action<IMaterializer>>>
{
    private readonly Outlet<NotUsed> _out = new("StreamHost.out");

    public StreamHost() => Shape = new SourceShape<NotUsed>(_out);

    public override SourceShape<NotUsed> Shape { get; }

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("stream-host");

    public override ILogicAndMaterializedValue<IAsyncCallback<Action<IMaterializer>>> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var logic = new Logic(this);
        return new LogicAndMaterializedValue<IAsyncCallback<Action<IMaterializer>>>(logic, logic.Submit);
    }

    private sealed class Logic : OutGraphStageLogic
    {
        public Logic(StreamHost stage) : base(stage.Shape)
        {
            Submit = GetTypedAsyncCallback<Action<IMaterializer>>(Run);
            SetHandler(stage._out, this);
        }

        public IAsyncCallback<Action<IMaterializer>> Submit { get; }

        public override void OnPull()
        {
        }

        private void Run(Action<IMaterializer> work) => work(SubFusingMaterializer);
    }
}
