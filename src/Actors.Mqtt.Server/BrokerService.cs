using System.Runtime.InteropServices;
using Actors.Mqtt.Broker;
using Actors.Mqtt.Broker.Connections;
using Actors.Mqtt.Broker.Security;
using Akka;
using Akka.Actor;
using Akka.Streams.Dsl;

namespace Actors.Mqtt.Server;

/// <summary>
/// Starts the broker on the host's actor system before the listeners open (the node joins its one-node cluster and
/// the session shard region comes up), and holds it for the connection handler.
/// </summary>
internal sealed class BrokerService(ActorSystem system, BrokerService.Settings settings, IHostApplicationLifetime lifetime) : IHostedService, IConnectionFlowFactory, IDisposable
{
    private MqttBroker? broker;
    private PosixSignalRegistration? hangUp;

    /// <summary>Listeners open after the hosted services started, so a connection always finds the broker running.</summary>
    public Flow<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>, NotUsed> Create(Broker.Connections.ConnectionInfo connection) =>
        (broker ?? throw new InvalidOperationException("a connection arrived before the broker started")).Create(connection);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        broker = await MqttBroker.StartAsync(system, settings.Broker, settings.Security, cancellationToken).ConfigureAwait(false);

        // SIGHUP reads the password and ACL files again, as it does for Mosquitto; it does not stop the process.
        if (!OperatingSystem.IsWindows())
        {
            var started = broker;
            hangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                started.ReloadSecurityFiles();
            });
        }

        // Stopping fires before any hosted service stops, so clients hear why while their sockets are still open.
        lifetime.ApplicationStopping.Register(broker.AnnounceShutdown);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => hangUp?.Dispose();

    /// <param name="Security">The password and ACL files, loaded and checked before the host started.</param>
    public sealed record Settings(BrokerSettings Broker, SecurityFiles Security);
}
