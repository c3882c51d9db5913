using Actors.Mqtt.Server.Configuration;
using Actors.Mqtt.Server.Listeners;
using Actors.Mqtt.Server.Logging;
using Actors.Mqtt.Server.Operations;
using Akka.Actor;
using Akka.Configuration;
using Akka.Streams;
using Serilog;

namespace Actors.Mqtt.Server;

/// <summary>Builds the host process around a configuration: logging, Kestrel's MQTT listeners, the monitoring HTTP
/// listener when configured, and the broker.</summary>
public static partial class ServerHost
{
    /// <summary>
    /// Everything but the broker: the caller adds the broker's services (an <see cref="ActorSystem"/> and an
    /// <c>IConnectionFlowFactory</c>) and then calls <see cref="Build"/>.
    /// </summary>
    /// <exception cref="ConfigException">The host's own keys are wrong.</exception>
    public static WebApplicationBuilder CreateBuilder(Config config)
    {
        var settings = ServerSettings.FromConfig(config);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
        });

        builder.Logging.ClearProviders();
        // Serilog decides per category; the host's own default floor (information) would hide a category set to debug.
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        Log.Logger = ServerLogger.Create(settings.Log);
        builder.Services.AddSerilog(Log.Logger, dispose: true);

        var listeners = new MqttListeners(settings.Listeners);
        builder.Services.AddSingleton(listeners);
        builder.WebHost.ConfigureKestrel(listeners.Configure);
        builder.Services.AddSingleton<MqttConnectionHandler>();
        builder.Services.AddSingleton<MqttWebSocketHandler>();
        if (settings.Http is { } http)
        {
            MonitoringHttp.Register(builder, http);
        }

        builder.Services.AddSingleton(services => new ConnectionStreams(
            services.GetRequiredService<ActorSystem>().Materializer(namePrefix: "connection"),
            ConnectionStreams.DefaultHostCount));
        return builder;
    }

    /// <summary>Builds the host; it announces where each listener listens once it has started.</summary>
    public static WebApplication Build(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var app = builder.Build();
        var listeners = app.Services.GetRequiredService<MqttListeners>();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ServerHost));
        MonitoringHttp.Map(app);
        if (listeners.HasWebSocketListeners)
        {
            // MQTT has its own keep-alive; WebSocket pings on top would only add traffic.
            app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
            app.Run(app.Services.GetRequiredService<MqttWebSocketHandler>().HandleAsync);
        }

        app.Lifetime.ApplicationStarted.Register(() =>
        {
            foreach (var (name, endPoint) in listeners.EndPoints)
            {
                LogListening(log, name, endPoint);
            }
        });
        return app;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening for MQTT on {Listener} {EndPoint}")]
    private static partial void LogListening(Microsoft.Extensions.Logging.ILogger logger, string listener, System.Net.EndPoint endPoint);
}
