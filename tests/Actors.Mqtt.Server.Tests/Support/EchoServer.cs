using System.Net;
using Actors.Mqtt.Broker.Connections;
using Actors.Mqtt.Server.Configuration;
using Actors.Mqtt.Server.Listeners;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Actors.Mqtt.Server.Tests.Support;

/// <summary>The real host, Kestrel on a free loopback port, with the echo flow in place of the broker.</summary>
public sealed class EchoServer : IAsyncLifetime
{
    private WebApplication? _app;

    public EchoConnectionFlowFactory Echo { get; } = new();

    public IPEndPoint EndPoint { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var config = ConfigLoader.Load(
            configFile: null,
            ["actors-mqtt.listeners.tcp.host=127.0.0.1", "actors-mqtt.listeners.tcp.port=0", "actors-mqtt.persistence.store=memory"],
            AppContext.BaseDirectory,
            AppContext.BaseDirectory);
        var builder = ServerHost.CreateBuilder(config);
        BrokerComposition.Configure(builder.Services, config);
        builder.Services.AddSingleton<IConnectionFlowFactory>(Echo);
        _app = ServerHost.Build(builder);
        await _app.StartAsync();
        EndPoint = (IPEndPoint)_app.Services.GetRequiredService<MqttListeners>().EndPointOf("tcp");
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
