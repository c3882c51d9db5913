using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.Stage;

namespace Actors.Mqtt.Server.Listeners;

/// <summary>
/// Runs the connections' streams on a fixed set of <see cref="StreamHost"/>s, taken in turn, rather than one stream
/// interpreter actor per connection.
/// </summary>
/// <remarks>
/// A host runs one event at a time for all its connections, so there are several hosts per core: a connection
/// busy encoding a burst holds up only the few that share its host, and every core has hosts to run.
/// </remarks>
public sealed class ConnectionStreams
{
    private readonly IAsyncCallback<Action<IMaterializer>>[] hosts;
    private int next = -1;

    public ConnectionStreams(IMaterializer materializer, int hostCount)
    {
        ArgumentNullException.ThrowIfNull(materializer);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hostCount);
        hosts = new IAsyncCallback<Action<IMaterializer>>[hostCount];
        for (var i = 0; i < hostCount; i++)
        {
            hosts[i] = Source.FromGraph(new StreamHost()).To(Sink.Ignore<NotUsed>()).Run(materializer);
        }
    }

    /// <summary>Several hosts per core, so that no core waits while another host is busy.</summary>
    public static int DefaultHostCount => Environment.ProcessorCount * 8;

    /// <summary>Materializes <paramref name="graph"/> inside the next host; the task ends once it runs, or fails if
    /// the host has stopped (the actor system is shutting down).</summary>
    public Task<TMat> RunAsync<TMat>(IRunnableGraph<TMat> graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var materialized = new TaskCompletionSource<TMat>(TaskCreationOptions.RunContinuationsAsynchronously);
        var host = hosts[(int)((uint)Interlocked.Increment(ref next) % (uint)hosts.Length)];
        host.InvokeWithFeedback(materializer =>
        {
            try
            {
                materialized.TrySetResult(graph.Run(materializer));
            }
            catch (Exception e)
            {
                materialized.TrySetException(e);
            }
        }).ContinueWith(
            static (handed, state) => ((TaskCompletionSource<TMat>)state!).TrySetException(handed.Exception!.InnerExceptions),
            materialized,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return materialized.Task;
    }
}
