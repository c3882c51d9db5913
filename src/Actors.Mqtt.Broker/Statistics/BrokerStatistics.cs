using System.Diagnostics.Metrics;

namespace Actors.Mqtt.Broker.Statistics;

/// <summary>
/// Running totals of the broker's own instruments (<see cref="BrokerMetrics"/>), for what the broker reports about
/// itself ($SYS): read from the same measurements an exporter reads, so the two never disagree. Thread-safe: the
/// instruments are measured on any thread, and read by one actor.
/// </summary>
/// <remarks>
/// A <see cref="MeterListener"/> hears the instruments of every broker in the process; a process runs one broker
/// (tests that start several in one process must not read exact totals from here). It hears only what is measured
/// after it started, so it is made before the broker's actors.
/// </remarks>
public sealed class BrokerStatistics : IDisposable
{
    // The instruments summed, in the order of Slot.
    private static readonly string[] Instruments =
    [
        BrokerMetrics.SessionsOnline.Name,
        BrokerMetrics.SessionsOffline.Name,
        BrokerMetrics.SessionsExpired.Name,
        BrokerMetrics.ConnectionsAccepted.Name,
        BrokerMetrics.MessagesReceived.Name,
        BrokerMetrics.MessagesSent.Name,
        BrokerMetrics.BytesReceived.Name,
        BrokerMetrics.BytesSent.Name,
        BrokerMetrics.QueuedMessagesDropped.Name,
        BrokerMetrics.Qos0Dropped.Name,
        BrokerMetrics.RetainedMessages.Name,
        BrokerMetrics.Subscriptions.Name,
    ];

    private enum Slot
    {
        Connected,
        Offline,
        Expired,
        Accepted,
        Received,
        Sent,
        BytesReceived,
        BytesSent,
        QueueDropped,
        Qos0Dropped,
        Retained,
        Subscriptions,
    }

    private readonly long[] totals = new long[Instruments.Length];
    private readonly MeterListener listener = new();
    private long maximumConnected;

    public BrokerStatistics()
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            var index = Array.IndexOf(Instruments, instrument.Name);
            if (instrument.Meter.Name == BrokerMetrics.MeterName && index >= 0)
            {
                l.EnableMeasurementEvents(instrument, index);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, state) =>
        {
            var index = (int)state!;
            var total = Interlocked.Add(ref totals[index], value);
            if (index == (int)Slot.Connected)
            {
                RaiseMaximum(total);
            }
        });
        listener.Start();
    }

    /// <summary>The totals now.</summary>
    public BrokerTotals Read() => new(
        ClientsConnected: Total(Slot.Connected),
        ClientsDisconnected: Total(Slot.Offline),
        ClientsMaximum: Volatile.Read(ref maximumConnected),
        ClientsExpired: Total(Slot.Expired),
        ConnectionsAccepted: Total(Slot.Accepted),
        MessagesReceived: Total(Slot.Received),
        MessagesSent: Total(Slot.Sent),
        BytesReceived: Total(Slot.BytesReceived),
        BytesSent: Total(Slot.BytesSent),
        MessagesDropped: Total(Slot.QueueDropped) + Total(Slot.Qos0Dropped),
        RetainedMessages: Total(Slot.Retained),
        Subscriptions: Total(Slot.Subscriptions));

    public void Dispose() => listener.Dispose();

    private long Total(Slot slot) => Volatile.Read(ref totals[(int)slot]);

    private void RaiseMaximum(long connected)
    {
        var maximum = Volatile.Read(ref maximumConnected);
        while (connected > maximum)
        {
            var seen = Interlocked.CompareExchange(ref maximumConnected, connected, maximum);
            if (seen == maximum)
            {
                return;
            }

            maximum = seen;
        }
    }
}

/// <summary>What <see cref="BrokerStatistics"/> counted since the broker started, or holds now for the gauges.</summary>
/// <param name="ClientsDisconnected">Durable sessions whose client is not connected.</param>
/// <param name="ClientsMaximum">The most clients connected at once.</param>
/// <param name="MessagesReceived">PUBLISH packets received from clients (all QoS).</param>
/// <param name="MessagesDropped">Messages not delivered because a queue was full: QoS 1/2 a session's queue refused, QoS
/// 0 for a client that read too slowly.</param>
public sealed record BrokerTotals(
    long ClientsConnected,
    long ClientsDisconnected,
    long ClientsMaximum,
    long ClientsExpired,
    long ConnectionsAccepted,
    long MessagesReceived,
    long MessagesSent,
    long BytesReceived,
    long BytesSent,
    long MessagesDropped,
    long RetainedMessages,
    long Subscriptions);
