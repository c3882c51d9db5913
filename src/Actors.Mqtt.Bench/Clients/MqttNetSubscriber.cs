using System.Buffers;
using System.Net;
using Actors.Mqtt.Bench.Measurement;
using Actors.Mqtt.Protocol;
using MQTTnet;
using MQTTnet.Protocol;

namespace Actors.Mqtt.Bench.Clients;

/// <summary>
/// A subscriber as an application writes one, with MQTTnet (clean session; MQTT 3.1.1 unless told), counting what it receives in a
/// <see cref="PayloadTally"/>. It reads from the moment it is connected, and slower than the bench's raw client: what
/// issue 20 asks the broker to keep up with without dropping QoS 0.
/// </summary>
public sealed class MqttNetSubscriber : ISubscriber
{
    private readonly IMqttClient client;
    private readonly PayloadTally tally;
    private volatile string? closeReason;
    private volatile bool closing;

    private MqttNetSubscriber(IMqttClient client, PayloadTally tally)
    {
        this.client = client;
        this.tally = tally;
        client.ApplicationMessageReceivedAsync += e =>
        {
            Count(e.ApplicationMessage.Payload);
            return Task.CompletedTask;
        };
        client.DisconnectedAsync += e =>
        {
            if (!closing)
            {
                closeReason = $"{e.Reason}{(e.Exception is { } x ? ": " + x.GetBaseException().Message : "")}";
            }

            return Task.CompletedTask;
        };
    }

    public long Received => tally.Received;

    public long Distinct => tally.Distinct;

    public long Duplicates => tally.Duplicates;

    public long Foreign => tally.Foreign;

    public long LastReceivedTicks => tally.LastReceivedTicks;

    public string? CloseReason => closeReason;

    /// <param name="version">MQTT 5.0 for a shared subscription.</param>
    public static async Task<MqttNetSubscriber> ConnectAsync(IPEndPoint target, string clientId, string filter, QualityOfService qos, PayloadTally tally, CancellationToken cancellationToken, MqttProtocolVersion version = MqttProtocolVersion.V311)
    {
        ArgumentNullException.ThrowIfNull(target);
        var client = new MqttClientFactory().CreateMqttClient();
        var subscriber = new MqttNetSubscriber(client, tally);
        try
        {
            await client.ConnectAsync(
                new MqttClientOptionsBuilder()
                    .WithTcpServer(target.Address.ToString(), target.Port)
                    .WithClientId(clientId)
                    .WithProtocolVersion(version == MqttProtocolVersion.V500 ? MQTTnet.Formatter.MqttProtocolVersion.V500 : MQTTnet.Formatter.MqttProtocolVersion.V311)
                    .WithCleanSession(true)
                    .Build(),
                cancellationToken);
            await client.SubscribeAsync(
                new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter, (MqttQualityOfServiceLevel)qos).Build(),
                cancellationToken);
        }
        catch
        {
            await subscriber.DisposeAsync();
            throw;
        }

        return subscriber;
    }

    /// <summary>MQTTnet reads from the moment it connected; nothing is sent before the scenario's load begins.</summary>
    public void StartReading()
    {
    }

    public async ValueTask DisposeAsync()
    {
        closing = true;
        if (client.IsConnected)
        {
            await client.DisconnectAsync();
        }

        client.Dispose();
    }

    private void Count(ReadOnlySequence<byte> payload)
    {
        Span<byte> head = stackalloc byte[Payload.HeaderSize];
        if (payload.Length < Payload.HeaderSize)
        {
            tally.Count([]);
            return;
        }

        payload.Slice(0, Payload.HeaderSize).CopyTo(head);
        tally.Count(head);
    }
}
