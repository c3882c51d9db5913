using Akka.Actor;
using Akka.Event;

namespace Actors.Mqtt.Server.Operations;

/// <summary>
/// The last <see cref="Capacity"/> warnings and errors the actors logged, for the status page. They are taken from the
/// actor system's event stream, where every Akka log event is published whatever the log sinks are: this needs nothing
/// from the logging setup, and costs only on a warning. The host's own warnings (Kestrel, the listeners' refusals,
/// which the page counts anyway) do not pass there and are in the log only.
/// </summary>
internal sealed class RecentWarnings(IServiceProvider services) : IHostedService
{
    public const int Capacity = 20;

    private readonly Queue<Entry> entries = new(Capacity);

    /// <summary>One log event: when, <c>warning</c> or <c>error</c>, the actor that logged it, and its rendered message.</summary>
    public sealed record Entry(DateTime Time, string Level, string Source, string Message);

    /// <summary>Newest first.</summary>
    public IReadOnlyList<Entry> Read()
    {
        lock (entries)
        {
            return entries.Reverse().ToArray();
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // A host without the broker (the transport tests' echo server) has no actors to hear from.
        if (services.GetService<ActorSystem>() is { } system)
        {
            var recorder = system.ActorOf(Props.Create(() => new Recorder(this)), "status-page-warnings");
            system.EventStream.Subscribe(recorder, typeof(Warning));
            system.EventStream.Subscribe(recorder, typeof(Error));
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Add(LogEvent log)
    {
        var message = log is Error { Cause: { } cause } ? $"{log.Message}: {cause.Message}" : $"{log.Message}";
        var entry = new Entry(log.Timestamp, log is Error ? "error" : "warning", log.LogSource, message);
        lock (entries)
        {
            if (entries.Count == Capacity)
            {
                entries.Dequeue();
            }

            entries.Enqueue(entry);
        }
    }

    private sealed class Recorder(RecentWarnings warnings) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            if (message is LogEvent log)
            {
                warnings.Add(log);
            }
        }
    }
}
