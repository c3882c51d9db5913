using Actors.Mqtt.Broker;
using Actors.Mqtt.Broker.Connections;
using Akka;
using Akka.Actor;
using Akka.Streams.Dsl;

namespace Actors.Mqtt.Server;

/// <summary>
/// Starts the broker on the host's actor system before the listeners open (the node joins its one-node cluster and
/// the session shard region comes up), and holds it for the connection handler.
/// </summary>
internal sealed class BrokerService(ActorSystem system, BrokerService.Settings settings, IHostApplicationLifetime lifetime) : IHostedService, IConnectionFlowFactory
{
    private MqttBroker? broker;

    /// <summary>Listeners open after the hosted services started, so a connection always finds the broker running.</summary>
    public Flow<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>, NotUsed> Create(Broker.Connections.ConnectionInfo connection) =>
        (broker ?? throw new InvalidOperationException("a connection arrived before the broker started")).Create(connection);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        broker = await MqttBroker.StartAsync(system, settings.Broker, cancellationToken).ConfigureAwait(false);

        // Stopping fires before any hosted service stops, so clients hear why while their sockets are still open.
        lifetime.ApplicationStopping.Register(broker.AnnounceShutdown);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public sealed record Settings(BrokerSettings Broker);
}
