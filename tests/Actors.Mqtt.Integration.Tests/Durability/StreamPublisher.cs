using System.Net;
using System.Net.Sockets;
using System.Text;
using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Integration.Tests.Durability;

/// <summary>
/// A persistent MQTT 3.1.1 publisher that keeps a window of QoS 1 and 2 messages in flight and remembers, across a
/// lost connection, what the broker acknowledged: a PUBACK, or a PUBREC (from then on the message is the broker's).
/// After reconnecting it does what the spec asks of a client: unacknowledged PUBLISH packets again with DUP and their
/// packet ids, PUBREL for those that had their PUBREC [MQTT-4.4.0-1].
/// </summary>
public sealed class StreamPublisher(string clientId, string topic, int total, int window)
{
    private readonly Dictionary<ushort, PublishPacket> inflight = [];
    private readonly List<ushort> order = [];
    private readonly HashSet<ushort> released = [];
    private readonly HashSet<string> acknowledged = [];
    private int next;
    private ushort lastPacketId;

    public int Sent => next;

    /// <summary>Payloads the broker acknowledged (PUBACK, or PUBREC for QoS 2).</summary>
    public IReadOnlyCollection<string> Acknowledged => acknowledged;

    public int AcknowledgedCount
    {
        get
        {
            lock (acknowledged)
            {
                return acknowledged.Count;
            }
        }
    }

    /// <summary>The payload of message <paramref name="index"/>: even ones go with QoS 1, odd ones with QoS 2.</summary>
    public static string Payload(int index) => (index % 2 == 0 ? "q1-" : "q2-") + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Publishes until every message is done, or returns false when the connection is lost.</summary>
    public async Task<bool> RunAsync(IPEndPoint broker)
    {
        RawClient client;
        try
        {
            (client, var connAck) = await RawClient.ConnectAsync(broker, new ConnectPacket
            {
                ProtocolVersion = MqttProtocolVersion.V311,
                ClientId = clientId,
                CleanSession = false,
            });
            Assert.Equal(ReasonCode.Success, connAck.ReasonCode);
        }
        catch (Exception e) when (e is IOException or SocketException or TimeoutException)
        {
            return false;
        }

        await using (client)
        {
            try
            {
                foreach (var id in order)
                {
                    await client.SendAsync(released.Contains(id) ? new PubRelPacket { PacketId = id } : inflight[id] with { Dup = true });
                }

                while (next < total || inflight.Count > 0)
                {
                    while (inflight.Count < window && next < total)
                    {
                        var publish = new PublishPacket
                        {
                            Topic = topic,
                            Payload = Encoding.UTF8.GetBytes(Payload(next)),
                            QoS = next % 2 == 0 ? QualityOfService.AtLeastOnce : QualityOfService.ExactlyOnce,
                            PacketId = NextPacketId(),
                        };
                        inflight[publish.PacketId] = publish;
                        order.Add(publish.PacketId);
                        next++;
                        await client.SendAsync(publish);
                    }

                    await HandleAsync(client, await client.ReceiveAsync(TimeSpan.FromSeconds(30)));
                }

                return true;
            }
            catch (Exception e) when (e is IOException or SocketException or TimeoutException)
            {
                return false;
            }
        }
    }

    private async Task HandleAsync(RawClient client, MqttPacket packet)
    {
        switch (packet)
        {
            case PubAckPacket ack when inflight.TryGetValue(ack.PacketId, out var publish):
                Acknowledge(publish);
                Done(ack.PacketId);
                break;
            case PubRecPacket rec when inflight.TryGetValue(rec.PacketId, out var publish):
                Acknowledge(publish);
                released.Add(rec.PacketId);
                await client.SendAsync(new PubRelPacket { PacketId = rec.PacketId });
                break;
            case PubCompPacket comp:
                Done(comp.PacketId);
                break;
            default:
                throw new InvalidOperationException($"unexpected {packet} for the publisher");
        }
    }

    private void Acknowledge(PublishPacket publish)
    {
        lock (acknowledged)
        {
            acknowledged.Add(Encoding.UTF8.GetString(publish.Payload.Span));
        }
    }

    private void Done(ushort packetId)
    {
        inflight.Remove(packetId);
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
