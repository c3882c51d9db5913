using Actors.Mqtt.Broker;
using Actors.Mqtt.Broker.Clustering;
using Actors.Mqtt.Broker.Connections;
using Actors.Mqtt.Broker.Security;
using Actors.Mqtt.Server.Configuration;
using Actors.Mqtt.Server.Listeners;
using Actors.Mqtt.Server.Logging;
using Actors.Mqtt.Server.Operations;
using Akka.Actor;
using Akka.Configuration;

namespace Actors.Mqtt.Server;

/// <summary>
/// The one place where the broker is put into the host: its actor system and its <see cref="IConnectionFlowFactory"/>.
/// </summary>
public static class BrokerComposition
{
    /// <summary>Registers the actor system (started and terminated with the host) and the broker's connection flows.</summary>
    /// <exception cref="ConfigException">The password or ACL file is wrong: start-up stops naming file and line.</exception>
    public static void Configure(IServiceCollection services, Config config)
    {
        var settings = BrokerSettings.From(config);
        SecurityFiles security;
        try
        {
            security = SecurityFiles.Load(settings.Auth);
        }
        catch (SecurityFileException e)
        {
            throw new ConfigException(e.File, e.Line, null, e.Problem);
        }

        // The configured store's persistence plugins go in front before Akka sees the configuration.
        var prepared = MqttBroker.PrepareSetup(config, ServerLogger.AkkaLogging(LogSettings.FromConfig(config)));
        services.AddSingleton(_ => ActorSystem.Create(ClusterNodeSettings.SystemName, prepared));
        services.AddHostedService<ActorSystemLifetime>();
        services.AddSingleton(sp => new JournalProbe(sp.GetRequiredService<ActorSystem>()));
        services.AddSingleton(new BrokerService.Settings(settings, security, ConfigSource.Of(config).Files));
        services.AddSingleton<BrokerService>();
        services.AddHostedService(sp => sp.GetRequiredService<BrokerService>());

        services.AddSingleton<IConnectionFlowFactory>(sp => sp.GetRequiredService<BrokerService>());
        services.AddSingleton(sp => new ConnectionAdmission(
            settings.MaxConnections,
            settings.ConnectRate,
            sp.GetRequiredService<ILogger<ConnectionAdmission>>()));
    }
}
