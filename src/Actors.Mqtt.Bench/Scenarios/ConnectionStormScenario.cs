using System.Diagnostics;
using Actors.Mqtt.Bench.Clients;

namespace Actors.Mqtt.Bench.Scenarios;

/// <summary>
/// Opens idle connections (CONNECT, CONNACK, then silence) as fast as the broker accepts them and holds them all:
/// the connect rate, and the broker's resident memory per held connection.
/// </summary>
public sealed class ConnectionStormScenario : IScenario
{
    private const int Connections = 2_000;
    private const int Concurrency = 64;

    // Lets the broker finish what each connection set off (session actors, buffers) before its memory is read.
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    public string Name => "connection-storm";

    public string Description => $"{Connections} idle connections opened {Concurrency} at a time and held; connect rate and broker RSS per connection";

    public async Task RunAsync(ScenarioContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Settings;
        var outcome = context.Outcome;
        var count = settings.Scaled(Connections);
        outcome.Expected = count;
        outcome.RequireAll = true;

        var rssBefore = context.Meter.RssNow();
        var opened = 0L;
        context.Status = () => $"connected {Interlocked.Read(ref opened)} of {count}";
        context.Meter.BeginLoad();
        var start = Stopwatch.GetTimestamp();
        var connections = await ConnectionSet.OpenAsync(
            count,
            Concurrency,
            async i =>
            {
                var connection = await RawMqttConnection.ConnectAsync(settings.PublisherTarget(i), context.ClientId($"cs{i}"), context.Deadline);
                Interlocked.Increment(ref opened);
                return connection;
            },
            context.Deadline);
        try
        {
            var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            context.Meter.EndLoad();
            outcome.Sent = count;
            outcome.Delivered = connections.Length;
            outcome.Connections = connections.Length;
            outcome.MeasuredSeconds = seconds;
            outcome.ConnectRate = connections.Length / seconds;
            await Task.Delay(Settle, context.Deadline);
            if (rssBefore is { } before && context.Meter.RssNow() is { } after)
            {
                outcome.RssPerConnectionBytes = (after - before) / connections.Length;
            }
        }
        finally
        {
            context.Status = () => $"closing {count} connections";
            await Task.WhenAll(connections.Select(c => c.DisconnectAsync()));
        }
    }
}
