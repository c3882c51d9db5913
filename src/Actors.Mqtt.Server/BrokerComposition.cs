using Actors.Mqtt.Broker.Connections;
using Akka.Actor;
using Akka.Configuration;

namespace Actors.Mqtt.Server;

/// <summary>
/// The one place where the broker is put into the host: its actor system and its <see cref="IConnectionFlowFactory"/>.
/// </summary>
public static class BrokerComposition
{
    public const string ActorSystemName = "actors-mqtt";

    /// <summary>Registers the actor system (started and terminated with the host) and the broker's connection flows.</summary>
    public static void Configure(IServiceCollection services, Config config)
    {
        services.AddSingleton(_ => ActorSystem.Create(ActorSystemName, config));
        services.AddHostedService<ActorSystemLifetime>();

        // The broker's IConnectionFlowFactory is registered here, next to the actor system it runs on, once the
        // broker exists. Until then nothing is registered, and the broker command refuses to start.
    }

    /// <summary>Whether a connection flow factory has been registered, by this class or by a test.</summary>
    public static bool HasConnectionFlowFactory(IServiceCollection services) =>
        services.Any(d => d.ServiceType == typeof(IConnectionFlowFactory));
}
