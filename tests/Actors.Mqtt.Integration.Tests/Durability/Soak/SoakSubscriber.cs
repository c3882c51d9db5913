using System.Diagnostics;
using System.Net;
using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Integration.Tests.Durability.Soak;

/// <summary>One arrival of a message at a subscriber: when, under which packet id and DUP flag, on which connection.</summary>
public readonly record struct SoakArrival(long At, ushort PacketId, QualityOfService QoS, bool Dup, int Connection)
{
    public override string ToString() => $"{At} ms id {PacketId} QoS {(int)QoS}{(Dup ? " DUP" : string.Empty)} connection {Connection}";
}

/// <summary>
/// A persistent subscriber at QoS 2 that completes every exchange itself and counts what the broker delivered. As
/// MQTT asks of a QoS 2 receiver, it keeps across reconnections the packet ids it sent PUBREC for and got no PUBREL
/// yet, and a PUBLISH under such an id is the same message again, not a new delivery [MQTT-4.3.3-9]; once it sent
/// PUBCOMP, the id is free and a PUBLISH under it is a new message [MQTT-4.3.3-11]. So every second arrival it counts
/// is the broker's.
/// </summary>
public sealed class SoakSubscriber(int index, MqttProtocolVersion version, string filter, Stopwatch clock)
    : SoakClient($"soak-sub-{index}-{Guid.NewGuid():N}"[..24], version, clock)
{
    private static readonly TimeSpan Look = TimeSpan.FromMilliseconds(200);
    private readonly Lock sync = new();
    private readonly Dictionary<SoakMessage, SoakArrival> first = [];
    private readonly Dictionary<SoakMessage, List<SoakArrival>> again = [];
    private readonly Dictionary<ushort, SoakMessage> held = [];
    private readonly TaskCompletionSource subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long offlineUntil;
    private int received;
    private int offlinePeriods;

    public int Index => index;

    /// <summary>Completes once the first SUBACK came; the run publishes only after that.</summary>
    public Task Subscribed => subscribed.Task;

    /// <summary>Every arrival counted, duplicates included.</summary>
    public int Received
    {
        get
        {
            lock (sync)
            {
                return received;
            }
        }
    }

    public int OfflinePeriods => Volatile.Read(ref offlinePeriods);

    /// <summary>Leaves (DISCONNECT or a dropped socket) and stays away for <paramref name="duration"/>.</summary>
    public void GoOffline(TimeSpan duration) => Volatile.Write(ref offlineUntil, Now + (long)duration.TotalMilliseconds);

    public bool HasAll(IEnumerable<SoakMessage> messages)
    {
        lock (sync)
        {
            return messages.All(first.ContainsKey);
        }
    }

    /// <summary>The first arrival of each message, and every later one of messages that came more than once.</summary>
    public (IReadOnlyDictionary<SoakMessage, SoakArrival> First, IReadOnlyDictionary<SoakMessage, List<SoakArrival>> Again) Arrivals()
    {
        lock (sync)
        {
            return (new Dictionary<SoakMessage, SoakArrival>(first), again.ToDictionary(p => p.Key, p => p.Value.ToList()));
        }
    }

    /// <summary>Stays subscribed, reconnecting whenever the connection is lost, until <paramref name="stop"/>.</summary>
    public async Task RunAsync(Func<IPEndPoint> broker, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var away = Volatile.Read(ref offlineUntil) - Now;
            if (away > 0)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(away), stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            if (await ConnectAsync(broker, stop) is not var (client, connAck))
            {
                return;
            }

            await using (client)
            {
                try
                {
                    await ReceiveAsync(client, connAck, stop);
                }
                catch (Exception e) when (IsConnectionLoss(e))
                {
                    // Killed, most likely: reconnect, the session kept the messages.
                }
                catch (InvalidDataException e)
                {
                    Anomaly(e.Message);
                }
            }
        }
    }

    private async Task ReceiveAsync(RawClient client, ConnAckPacket connAck, CancellationToken stop)
    {
        if (!connAck.SessionPresent)
        {
            // A new session, or one the broker lost (an anomaly already): its QoS 2 state starts empty too.
            held.Clear();
            await client.SendAsync(new SubscribePacket
            {
                PacketId = 1,
                Subscriptions = [new MqttSubscription(filter) { MaximumQoS = QualityOfService.ExactlyOnce }],
            });
        }

        while (true)
        {
            if (stop.IsCancellationRequested)
            {
                await client.SendAsync(new DisconnectPacket());
                return;
            }

            if (Volatile.Read(ref offlineUntil) > Now)
            {
                Interlocked.Increment(ref offlinePeriods);

                // Either way of leaving: a DISCONNECT, or a socket that just goes (no will here to tell them apart).
                if (Random.Shared.Next(2) == 0)
                {
                    await client.SendAsync(new DisconnectPacket());
                }

                return;
            }

            MqttPacket packet;
            try
            {
                packet = await client.ReceiveAsync(Look);
            }
            catch (TimeoutException)
            {
                continue;
            }

            await HandleAsync(client, packet);
        }
    }

    private async Task HandleAsync(RawClient client, MqttPacket packet)
    {
        switch (packet)
        {
            case PublishPacket { QoS: QualityOfService.AtLeastOnce } publish:
                Count(publish);
                await client.SendAsync(new PubAckPacket { PacketId = publish.PacketId });
                break;
            case PublishPacket { QoS: QualityOfService.ExactlyOnce } publish:
                var message = SoakMessage.Parse(publish.Payload.Span);
                if (held.TryGetValue(publish.PacketId, out var pending) && pending == message)
                {
                    // Ours already; the broker did not see our PUBREC (or lost it in a kill).
                }
                else
                {
                    if (held.ContainsKey(publish.PacketId))
                    {
                        Anomaly($"{message} came under packet id {publish.PacketId}, which still held {pending} (no PUBREL yet)");
                    }

                    held[publish.PacketId] = message;
                    Count(publish);
                }

                await client.SendAsync(new PubRecPacket { PacketId = publish.PacketId });
                break;
            case PubRelPacket release:
                held.Remove(release.PacketId);
                await client.SendAsync(new PubCompPacket { PacketId = release.PacketId });
                break;
            case SubAckPacket subAck:
                if (subAck.ReasonCodes is not [ReasonCode.GrantedQoS2])
                {
                    Anomaly($"SUBACK {string.Join(", ", subAck.ReasonCodes)}");
                }

                subscribed.TrySetResult();
                break;
            case DisconnectPacket disconnect:
                Note($"DISCONNECT {disconnect.ReasonCode} from the broker");
                throw new IOException("the broker disconnected");
            default:
                Anomaly($"unexpected {packet}");
                break;
        }
    }

    private void Count(PublishPacket publish)
    {
        var message = SoakMessage.Parse(publish.Payload.Span);
        var arrival = new SoakArrival(Now, publish.PacketId, publish.QoS, publish.Dup, Connections);
        lock (sync)
        {
            received++;
            if (!first.TryAdd(message, arrival))
            {
                if (!again.TryGetValue(message, out var later))
                {
                    again[message] = later = [];
                }

                later.Add(arrival);
            }
        }
    }
}
