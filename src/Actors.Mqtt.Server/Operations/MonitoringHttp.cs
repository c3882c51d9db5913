using System.Diagnostics.Metrics;
using System.Net;
using Actors.Mqtt.Broker;
using Actors.Mqtt.Broker.Statistics;
using Actors.Mqtt.Server.Listeners;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using OpenTelemetry.Metrics;

namespace Actors.Mqtt.Server.Operations;

/// <summary>
/// The HTTP listener for monitoring (<c>actors-mqtt.http</c>): the status page at <c>/</c> with its data at
/// <c>/api/status</c>, <c>/metrics</c> in Prometheus's text format, <c>/health</c> and <c>/ready</c>, on the Kestrel host of the MQTT listeners but on a port of its own. Only
/// connections to that port reach these paths; a WebSocket listener never serves them.
/// </summary>
public sealed partial class MonitoringHttp(IPEndPoint endPoint)
{
    /// <summary>The gauge of open connections per listener, read from the admission counters.</summary>
    internal const string ConnectionsInstrument = "actors_mqtt.connections";

    // Kestrel runs one HTTP pipeline for this listener and the WebSocket ones; the tag tells them apart per connection.
    private const string ConnectionItem = "actors-mqtt.http";

    /// <summary>The runtime's own meter (GC, thread pool, memory, exceptions), built into .NET.</summary>
    private const string RuntimeMeter = "System.Runtime";

    private ListenOptions? bound;

    /// <summary>Where it listens; a configured port 0 shows here as the port the system chose, once the host has started.</summary>
    public EndPoint EndPoint => bound?.EndPoint ?? endPoint;

    /// <summary>Adds the listener, the metrics pipeline and the readiness check to the host.</summary>
    internal static void Register(WebApplicationBuilder builder, IPEndPoint endPoint)
    {
        var http = new MonitoringHttp(endPoint);
        builder.Services.AddSingleton(http);
        builder.Services.AddSingleton<Readiness>();
        builder.Services.AddSingleton<BrokerStatistics>();
        builder.Services.AddSingleton<RecentWarnings>();
        builder.Services.AddHostedService(services => services.GetRequiredService<RecentWarnings>());
        builder.Services.AddSingleton<StatusPage>();
        builder.WebHost.ConfigureKestrel(http.Configure);

        // Without this listener nothing subscribes to the meters, and the broker's Add calls return at once.
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(BrokerMetrics.MeterName, RuntimeMeter)
            .AddPrometheusExporter(options =>
            {
                // A scrape shows what happened up to that moment, so a test or an operator reading twice is not
                // answered from a copy.
                options.ScrapeResponseCacheDurationMilliseconds = 0;

                // One broker per process: labels naming the meter or the process on every series would only repeat.
                options.ScopeInfoEnabled = false;
                options.TargetInfoEnabled = false;
            }));
    }

    /// <summary>Maps the paths on the host; call before anything that would answer every request.</summary>
    internal static void Map(WebApplication app)
    {
        if (app.Services.GetService<MonitoringHttp>() is not { } http)
        {
            return;
        }

        if (app.Services.GetService<ConnectionAdmission>() is { } admission)
        {
            CreateConnectionGauge(app.Services.GetRequiredService<IMeterFactory>(), admission);
        }

        // Built now rather than at the first scrape, so that both listeners hear the broker from its first measurement
        // and the status page's totals are the scrape's.
        app.Services.GetRequiredService<MeterProvider>();
        var status = app.Services.GetRequiredService<StatusPage>();
        CountersAtZero.Start();

        var readiness = app.Services.GetRequiredService<Readiness>();
        app.MapWhen(IsMonitoringRequest, branch =>
        {
            branch.UseOpenTelemetryPrometheusScrapingEndpoint();
            branch.Run(context => AnswerAsync(context, readiness, status));
        });

        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<MonitoringHttp>();
        app.Lifetime.ApplicationStarted.Register(() => LogListening(log, http.EndPoint));
    }

    private void Configure(KestrelServerOptions kestrel) =>
        kestrel.Listen(endPoint, options =>
        {
            options.Protocols = HttpProtocols.Http1;
            options.Use(next => connection =>
            {
                connection.Items[ConnectionItem] = true;
                return next(connection);
            });
            bound = options;
        });

    private static bool IsMonitoringRequest(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.ContainsKey(ConnectionItem) == true;

    private static async Task AnswerAsync(HttpContext context, Readiness readiness, StatusPage status)
    {
        if (await status.TryAnswerAsync(context).ConfigureAwait(false))
        {
            return;
        }

        switch (context.Request.Path.Value)
        {
            case "/health":
                await PlainAsync(context, StatusCodes.Status200OK, "alive").ConfigureAwait(false);
                break;
            case "/ready":
                var problem = await readiness.ProblemAsync(context.RequestAborted).ConfigureAwait(false);
                await (problem is null
                    ? PlainAsync(context, StatusCodes.Status200OK, "ready")
                    : PlainAsync(context, StatusCodes.Status503ServiceUnavailable, problem)).ConfigureAwait(false);
                break;
            default:
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                break;
        }
    }

    private static Task PlainAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text + "\n", context.RequestAborted);
    }

    /// <summary>Open connections per listener, read from the admission counters at each scrape: nothing is counted twice
    /// on the connection path.</summary>
    private static void CreateConnectionGauge(IMeterFactory meters, ConnectionAdmission admission) =>
        meters.Create(BrokerMetrics.MeterName).CreateObservableUpDownCounter(
            ConnectionsInstrument,
            () => admission.OpenConnections.Select(c => new Measurement<int>(c.Open, new KeyValuePair<string, object?>("listener", c.Listener))),
            "{connection}",
            "Network connections open now, per listener");

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving the status page (/), /metrics, /health and /ready on {EndPoint}")]
    private static partial void LogListening(ILogger logger, EndPoint endPoint);
}
