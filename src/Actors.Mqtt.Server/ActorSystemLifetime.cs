using Akka.Actor;

namespace Actors.Mqtt.Server;

/// <summary>
/// Ties the actor system's life to the host's: started before the listeners, and (hosted services stop in reverse
/// order, and the web host is added last) shut down only after the listeners have stopped taking connections.
/// </summary>
internal sealed class ActorSystemLifetime(ActorSystem system, IHostApplicationLifetime lifetime) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // An actor system that terminates by itself (a cluster downing it, a fatal error) leaves nothing to serve.
        _ = system.WhenTerminated.ContinueWith(
            _ => lifetime.StopApplication(),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) =>
        CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance);
}
