using System.Net;
using System.Net.Sockets;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Bench.Clients;

/// <summary>
/// A QoS 1 publisher that knows which of its numbered messages the broker acknowledged, across reconnects (clean
/// session: a message whose PUBACK its connection took with it is not acknowledged, and not sent again).
/// </summary>
public sealed class FailoverPublisher(string clientId, PublishTemplate template, int capacity, IReadOnlyList<IPEndPoint> fallbacks)
    : ReconnectingClient(clientId, fallbacks, cleanSession: true)
{
    private readonly bool[] acknowledged = new bool[capacity];
    private readonly byte[] buffer = new byte[template.Size];
    private Link? link;
    private long sent;
    private long acknowledgedCount;
    private long unsent;

    /// <summary>Messages written to a connection.</summary>
    public long Sent => Interlocked.Read(ref sent);

    public long Acknowledged => Interlocked.Read(ref acknowledgedCount);

    /// <summary>Messages due while there was no connection to send them on.</summary>
    public long Unsent => Interlocked.Read(ref unsent);

    /// <summary>Messages sent on the current connection and not acknowledged yet.</summary>
    public long InFlight => Volatile.Read(ref link) is { } l ? l.InFlight : 0;

    public bool IsAcknowledged(long sequence) => Volatile.Read(ref acknowledged[sequence]);

    /// <summary>Sends message <paramref name="sequence"/> on the current connection, or counts it unsent when there is none.</summary>
    public async ValueTask PublishAsync(long sequence, long sentTicks, CancellationToken cancellationToken)
    {
        if (Current is not { } connection || Volatile.Read(ref link) is not { } current)
        {
            Interlocked.Increment(ref unsent);
            return;
        }

        var packetId = current.Next(sequence);
        var length = template.Write(buffer, packetId, new Payload(sequence, sentTicks, 0));
        try
        {
            await connection.SendAsync(buffer.AsMemory(0, length), cancellationToken);
            Interlocked.Increment(ref sent);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The connection went while sending: the reader notices and connects again.
            Interlocked.Increment(ref unsent);
        }
    }

    protected override void OnConnected(RawMqttConnection connection) => Volatile.Write(ref link, new Link());

    protected override void OnPacket(MqttPacket packet)
    {
        if (packet is PubAckPacket ack && Volatile.Read(ref link)?.Acknowledge(ack.PacketId) is { } sequence && !acknowledged[sequence])
        {
            Volatile.Write(ref acknowledged[sequence], true);
            Interlocked.Increment(ref acknowledgedCount);
        }
    }

    /// <summary>One connection's packet ids: which message each stands for until its PUBACK.</summary>
    private sealed class Link
    {
        private readonly long[] sequences = new long[ushort.MaxValue + 1];
        private long nextId;
        private long inFlight;

        public long InFlight => Interlocked.Read(ref inFlight);

        /// <summary>A packet id for <paramref name="sequence"/>: 1-65535 in turn, never more in flight at a steady rate
        /// with PUBACKs coming.</summary>
        public ushort Next(long sequence)
        {
            var id = (ushort)((nextId++ % ushort.MaxValue) + 1);
            Volatile.Write(ref sequences[id], sequence + 1);
            Interlocked.Increment(ref inFlight);
            return id;
        }

        /// <summary>The message a PUBACK acknowledges; null for an id not in flight.</summary>
        public long? Acknowledge(ushort packetId)
        {
            var held = Interlocked.Exchange(ref sequences[packetId], 0);
            if (held == 0)
            {
                return null;
            }

            Interlocked.Decrement(ref inFlight);
            return held - 1;
        }
    }
}
