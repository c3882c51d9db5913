using Actors.Mqtt.Server.Listeners;
using Actors.Mqtt.Server.Transport;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.Implementation.Fusing;

namespace Actors.Mqtt.Server.Tests.Listeners;

/// <summary>
/// Connections' streams run inside a few long-lived hosts instead of one interpreter actor each, and each still
/// lives, ends and fails on its own.
/// </summary>
public sealed class ConnectionStreamsTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly ActorSystem system = ActorSystem.Create("connection-streams-tests");

    public void Dispose() => system.Dispose();

    [Fact]
    public async Task Twelve_streams_run_in_the_three_hosts_taken_in_turn()
    {
        var streams = new ConnectionStreams(system.Materializer(), hostCount: 3);

        var interpreters = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            var running = await streams.RunAsync(Source.Single(i)
                .Select(_ => GraphInterpreter.CurrentInterpreterOrNull?.Context.Path.ToString() ?? "none")
                .ToMaterialized(Sink.First<string>(), Keep.Right));
            interpreters.Add(await running.WaitAsync(Patience));
        }

        Assert.DoesNotContain("none", interpreters);
        Assert.Equal(3, interpreters.Distinct().Count());
        Assert.Equal(interpreters.Take(3), interpreters.Skip(3).Take(3));
    }

    [Fact]
    public async Task A_stream_that_ends_or_fails_ends_alone_and_its_host_runs_the_next()
    {
        var streams = new ConnectionStreams(system.Materializer(), hostCount: 1);
        var (stopFirst, first) = await streams.RunAsync(Never().ToMaterialized(Sink.Ignore<int>(), Keep.Both));
        var (_, second) = await streams.RunAsync(Never().ToMaterialized(Sink.Ignore<int>(), Keep.Both));
        var failing = await streams.RunAsync(Source.Single(1)
            .Select(Fail)
            .ToMaterialized(Sink.Ignore<int>(), Keep.Right));

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => failing.WaitAsync(Patience));
        Assert.Equal("one stream's fault", failure.Message);

        stopFirst.Shutdown();
        await first.WaitAsync(Patience);
        Assert.False(second.IsCompleted);

        var next = await streams.RunAsync(Source.Single(7).ToMaterialized(Sink.First<int>(), Keep.Right));
        Assert.Equal(7, await next.WaitAsync(Patience));
        Assert.False(second.IsCompleted);
    }

    [Fact]
    public async Task A_graph_that_cannot_be_materialized_fails_its_own_task_and_the_host_goes_on()
    {
        var streams = new ConnectionStreams(system.Materializer(), hostCount: 1);

        // The pipe reader needs a ConnectionPipes attribute to find its pipe; without one it cannot be built.
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            streams.RunAsync(Source.FromGraph(new PipeReaderSource()).ToMaterialized(Sink.Ignore<ReadOnlyMemory<byte>>(), Keep.Right)));

        var next = await streams.RunAsync(Source.Single(7).ToMaterialized(Sink.First<int>(), Keep.Right));
        Assert.Equal(7, await next.WaitAsync(Patience));
    }

    [Fact]
    public async Task A_graph_handed_to_a_host_that_has_stopped_fails_instead_of_waiting_forever()
    {
        var streams = new ConnectionStreams(system.Materializer(), hostCount: 1);
        var first = await streams.RunAsync(Source.Single(1).ToMaterialized(Sink.First<int>(), Keep.Right));
        Assert.Equal(1, await first.WaitAsync(Patience));

        await system.Terminate().WaitAsync(Patience);

        var failure = await Record.ExceptionAsync(() =>
            streams.RunAsync(Source.Single(2).ToMaterialized(Sink.First<int>(), Keep.Right)).WaitAsync(Patience));
        Assert.IsType<StreamDetachedException>(failure);
    }

    private static int Fail(int element) => throw new InvalidOperationException("one stream's fault");

    private static Source<int, UniqueKillSwitch> Never() =>
        Source.Never<int>().ViaMaterialized(KillSwitches.Single<int>(), Keep.Right);
}
