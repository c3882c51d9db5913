using System.Diagnostics;
using System.Net;
using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Integration.Tests.Durability.Soak;

/// <summary>
/// A publisher of the soak: one QoS, a steady rate, a window of messages in flight, and across lost connections
/// what MQTT asks of a client [MQTT-4.4.0-1]: after reconnecting, the unacknowledged PUBLISH packets again with DUP
/// and their packet ids, and PUBREL (not the PUBLISH) for QoS 2 messages whose PUBREC came, in their original order.
/// </summary>
public sealed class SoakPublisher(int index, QualityOfService qos, MqttProtocolVersion version, string topic, int rate, int window, Stopwatch clock)
    : SoakClient($"soak-pub-{index}-{Guid.NewGuid():N}"[..24], version, clock)
{
    /// <summary>How long a connection with messages in flight may stay silent before the publisher gives up on it.</summary>
    private static readonly TimeSpan Silence = TimeSpan.FromSeconds(30);

    private readonly Dictionary<ushort, PublishPacket> inflight = [];
    private readonly Dictionary<ushort, int> sequenceOf = [];
    private readonly List<ushort> order = [];
    private readonly HashSet<ushort> released = [];
    private readonly List<long> sentAt = [];
    private readonly Dictionary<int, long> acknowledgedAt = [];
    private readonly Dictionary<int, long> receivedAt = [];
    private readonly HashSet<int> refused = [];
    private ushort lastPacketId;
    private double nextDue = double.NaN;

    public int Index => index;

    public QualityOfService QoS => qos;

    /// <summary>Messages sent at least once; their sequence numbers are 0 to Sent - 1.</summary>
    public int Sent => sentAt.Count;

    /// <summary>When each message was first sent, by sequence number.</summary>
    public IReadOnlyList<long> SentAt => sentAt;

    /// <summary>Messages whose exchange the broker completed: PUBACK (QoS 1) or PUBCOMP (QoS 2), and when.</summary>
    public IReadOnlyDictionary<int, long> AcknowledgedAt => acknowledgedAt;

    /// <summary>QoS 2 messages that got their PUBREC, and when: the broker holds them from then on.</summary>
    public IReadOnlyDictionary<int, long> ReceivedAt => receivedAt;

    /// <summary>Messages the broker refused with an MQTT 5 reason code of 0x80 or more: not its to deliver.</summary>
    public IReadOnlyCollection<int> Refused => refused;

    /// <summary>Messages still in flight when the publisher stopped.</summary>
    public IReadOnlyCollection<int> Unfinished => sequenceOf.Values;

    /// <summary>
    /// Publishes at the rate until <paramref name="stopNew"/>, then finishes what is in flight; reconnects whenever the
    /// connection is lost. Gives up on <paramref name="giveUp"/> with messages still in flight.
    /// </summary>
    public async Task RunAsync(Func<IPEndPoint> broker, CancellationToken stopNew, CancellationToken giveUp)
    {
        while (!(stopNew.IsCancellationRequested && inflight.Count == 0))
        {
            if (await ConnectAsync(broker, giveUp) is not var (client, connAck))
            {
                return;
            }

            await using (client)
            {
                try
                {
                    await ExchangeAsync(client, connAck, stopNew, giveUp);
                }
                catch (Exception e) when (IsConnectionLoss(e))
                {
                    // Killed, most likely: reconnect and resend.
                }
            }
        }
    }

    private async Task ExchangeAsync(RawClient client, ConnAckPacket connAck, CancellationToken stopNew, CancellationToken giveUp)
    {
        var limit = Math.Min(window, (int)(connAck.Properties?.ReceiveMaximum ?? ushort.MaxValue));
        foreach (var id in order)
        {
            await client.SendAsync(released.Contains(id) ? new PubRelPacket { PacketId = id } : inflight[id] with { Dup = true });
        }

        var interval = 1000.0 / rate;
        if (double.IsNaN(nextDue))
        {
            nextDue = Now;
        }

        var lastHeard = Now;
        while (!(stopNew.IsCancellationRequested && inflight.Count == 0))
        {
            giveUp.ThrowIfCancellationRequested();
            var open = !stopNew.IsCancellationRequested && inflight.Count < limit;
            if (open && Now >= nextDue)
            {
                await SendNextAsync(client);

                // A publisher held back by an outage catches up with at most a second's worth of messages at once.
                nextDue = Math.Max(nextDue + interval, Now - 1000);
                continue;
            }

            var wait = open ? Math.Clamp(nextDue - Now, 1, 200) : 200;
            try
            {
                await HandleAsync(client, await client.ReceiveAsync(TimeSpan.FromMilliseconds(wait)));
                lastHeard = Now;
            }
            catch (TimeoutException) when (inflight.Count == 0 || Now - lastHeard < Silence.TotalMilliseconds)
            {
                // Nothing yet; time to send, or to look again.
            }
            catch (TimeoutException)
            {
                Note($"no answer for {Silence.TotalSeconds} s with {inflight.Count} messages in flight: reconnecting");
                throw;
            }
        }

        await client.SendAsync(new DisconnectPacket());
    }

    private async Task SendNextAsync(RawClient client)
    {
        var sequence = sentAt.Count;
        var publish = new PublishPacket
        {
            Topic = topic,
            Payload = new SoakMessage(index, sequence).ToPayload(),
            QoS = qos,
            PacketId = NextPacketId(),
        };
        inflight[publish.PacketId] = publish;
        sequenceOf[publish.PacketId] = sequence;
        order.Add(publish.PacketId);
        sentAt.Add(Now);
        await client.SendAsync(publish);
    }

    private async Task HandleAsync(RawClient client, MqttPacket packet)
    {
        switch (packet)
        {
            case PubAckPacket ack when qos == QualityOfService.AtLeastOnce && inflight.ContainsKey(ack.PacketId):
                Settle(ack.PacketId, ack.ReasonCode, acknowledgedAt);
                break;
            case PubRecPacket rec when qos == QualityOfService.ExactlyOnce && inflight.ContainsKey(rec.PacketId) && !released.Contains(rec.PacketId):
                if (rec.ReasonCode >= ReasonCode.UnspecifiedError)
                {
                    Settle(rec.PacketId, rec.ReasonCode, receivedAt);
                    break;
                }

                receivedAt[sequenceOf[rec.PacketId]] = Now;
                released.Add(rec.PacketId);
                await client.SendAsync(new PubRelPacket { PacketId = rec.PacketId });
                break;
            case PubCompPacket comp when released.Contains(comp.PacketId):
                if (comp.ReasonCode != ReasonCode.Success)
                {
                    // 0x92 after a restart: the release landed before the kill, and the PUBCOMP went with the process.
                    Note($"PUBCOMP {comp.ReasonCode} for {new SoakMessage(index, sequenceOf[comp.PacketId])}");
                }

                acknowledgedAt[sequenceOf[comp.PacketId]] = Now;
                Done(comp.PacketId);
                break;
            case DisconnectPacket disconnect:
                Note($"DISCONNECT {disconnect.ReasonCode} from the broker");
                throw new IOException("the broker disconnected");
            default:
                Anomaly($"unexpected {packet} (in flight: {string.Join(", ", order)})");
                break;
        }
    }

    private void Settle(ushort packetId, ReasonCode reasonCode, Dictionary<int, long> acknowledged)
    {
        var sequence = sequenceOf[packetId];
        if (reasonCode >= ReasonCode.UnspecifiedError)
        {
            refused.Add(sequence);
            Note($"{new SoakMessage(index, sequence)} refused with {reasonCode}");
        }
        else
        {
            acknowledged[sequence] = Now;
            if (reasonCode == ReasonCode.NoMatchingSubscribers)
            {
                Anomaly($"{new SoakMessage(index, sequence)} acknowledged with {reasonCode}: the subscriptions are gone");
            }
        }

        Done(packetId);
    }

    private void Done(ushort packetId)
    {
        inflight.Remove(packetId);
        sequenceOf.Remove(packetId);
        order.Remove(packetId);
        released.Remove(packetId);
    }

    private ushort NextPacketId()
    {
        do
        {
            lastPacketId = lastPacketId == ushort.MaxValue ? (ushort)1 : (ushort)(lastPacketId + 1);
        }
        while (inflight.ContainsKey(lastPacketId));

        return lastPacketId;
    }
}
