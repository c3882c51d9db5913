using System.Net;
using Actors.Mqtt.Bench.Measurement;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Bench.Clients;

/// <summary>
/// One subscribing connection of the bench's own client (<see cref="RawMqttConnection"/>), counting what it receives
/// in a <see cref="PayloadTally"/>.
/// </summary>
public sealed class Subscriber : ISubscriber
{
    private readonly RawMqttConnection connection;
    private readonly PayloadTally tally;
    private readonly CancellationTokenSource reading = new();
    private Task<string?>? readLoop;

    private Subscriber(RawMqttConnection connection, PayloadTally tally)
    {
        this.connection = connection;
        this.tally = tally;
    }

    public long Received => tally.Received;

    public long Distinct => tally.Distinct;

    public long Duplicates => tally.Duplicates;

    public long Foreign => tally.Foreign;

    public long LastReceivedTicks => tally.LastReceivedTicks;

    public string? CloseReason => readLoop is { IsCompleted: true } done ? done.Result : null;

    /// <summary>Connects and subscribes; reading starts with <see cref="StartReading"/>.</summary>
    /// <param name="sources">Publishers of the scenario, numbered from 0.</param>
    /// <param name="perSource">Messages each publisher sends, numbered from 0.</param>
    public static async Task<Subscriber> ConnectAsync(
        IPEndPoint target,
        string clientId,
        string filter,
        QualityOfService qos,
        int sources,
        long perSource,
        CancellationToken cancellationToken,
        LatencyRecorder? latency = null,
        int? receiveBufferSize = null)
    {
        var connection = await RawMqttConnection.ConnectAsync(target, clientId, cancellationToken, receiveBufferSize: receiveBufferSize);
        try
        {
            await connection.SubscribeAsync(filter, qos, cancellationToken);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        return new Subscriber(connection, new PayloadTally(sources, perSource, latency));
    }

    /// <summary>A subscriber of the <paramref name="client"/> library, connected and subscribed.</summary>
    public static async Task<ISubscriber> ConnectAsync(
        SubscriberClient client,
        IPEndPoint target,
        string clientId,
        string filter,
        QualityOfService qos,
        int sources,
        long perSource,
        CancellationToken cancellationToken) =>
        client == SubscriberClient.MqttNet
            ? await MqttNetSubscriber.ConnectAsync(target, clientId, filter, qos, new PayloadTally(sources, perSource), cancellationToken)
            : await ConnectAsync(target, clientId, filter, qos, sources, perSource, cancellationToken);

    public void StartReading() => readLoop ??= connection.ReadLoopAsync(OnPacket, acknowledge: true, reading.Token);

    public async ValueTask DisposeAsync()
    {
        await reading.CancelAsync();
        await connection.DisconnectAsync();
        if (readLoop is not null)
        {
            await readLoop;
        }

        reading.Dispose();
    }

    private void OnPacket(MqttPacket packet)
    {
        if (packet is PublishPacket publish)
        {
            tally.Count(publish.Payload.Span);
        }
    }
}
