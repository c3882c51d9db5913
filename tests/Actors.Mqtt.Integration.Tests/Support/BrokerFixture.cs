using System.Net;
using Actors.Mqtt.Server;
using Actors.Mqtt.Server.Configuration;
using Actors.Mqtt.Server.Listeners;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Actors.Mqtt.Integration.Tests.Support;

/// <summary>The real server, in this process: Kestrel on a free loopback port, the broker behind it.</summary>
public sealed class BrokerFixture : IAsyncLifetime
{
    private WebApplication? app;

    public IPEndPoint EndPoint { get; private set; } = null!;

    public int Port => EndPoint.Port;

    /// <summary>Where the listener called <paramref name="name"/> listens, with the port the system chose.</summary>
    public IPEndPoint EndPointOf(string name) =>
        (IPEndPoint)(app ?? throw new InvalidOperationException("the broker has not started")).Services.GetRequiredService<MqttListeners>().EndPointOf(name);

    /// <summary>The running host's services (its actor system, for one), once started.</summary>
    public IServiceProvider Services => app?.Services ?? throw new InvalidOperationException("the broker has not started");

    /// <summary>Extra <c>--set</c> overrides a test class needs; set before <see cref="InitializeAsync"/> runs.</summary>
    public IReadOnlyList<string> Overrides { get; init; } = [];

    /// <summary>An operator's configuration file under the overrides, for what <c>--set</c> cannot say (an array of
    /// objects); null for the default file.</summary>
    public string? ConfigFile { get; init; }

    public async Task InitializeAsync()
    {
        var config = ConfigLoader.Load(
            configFile: ConfigFile,
            ["actors-mqtt.listeners.tcp.host=127.0.0.1", "actors-mqtt.listeners.tcp.port=0", "actors-mqtt.log.level=warning", "actors-mqtt.persistence.store=memory", .. Overrides],
            AppContext.BaseDirectory,
            AppContext.BaseDirectory);
        var builder = ServerHost.CreateBuilder(config);
        BrokerComposition.Configure(builder.Services, config);
        app = ServerHost.Build(builder);
        await app.StartAsync();
        EndPoint = EndPointOf("tcp");
    }

    public async Task DisposeAsync()
    {
        // Idempotent: a test may stop the broker itself before the fixture is disposed.
        if (Interlocked.Exchange(ref app, null) is { } running)
        {
            await running.StopAsync();
            await running.DisposeAsync();
        }
    }
}
