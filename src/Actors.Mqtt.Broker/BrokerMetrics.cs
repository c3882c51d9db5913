using System.Diagnostics.Metrics;

namespace Actors.Mqtt.Broker;

/// <summary>
/// What the broker counts, as .NET metrics (<see cref="System.Diagnostics.Metrics"/>): readable now with
/// <c>dotnet-counters monitor -p PID --counters Actors.Mqtt</c>, and by any exporter the host adds. Instruments are
/// thread-safe and hold no broker state, so actors share them as they share a logger.
/// </summary>
public static class BrokerMetrics
{
    /// <summary>The meter every instrument of the broker belongs to.</summary>
    public const string MeterName = "Actors.Mqtt";

    /// <summary>The name of <see cref="QueuedMessagesDropped"/>.</summary>
    public const string QueuedMessagesDroppedName = "actors_mqtt.session.queue.dropped";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>QoS 1 and 2 messages a session refused because its queue was full; tagged with the <c>limit</c> that was
    /// reached (<c>max-queued-messages</c> or <c>max-queued-bytes</c>).</summary>
    public static readonly Counter<long> QueuedMessagesDropped = Meter.CreateCounter<long>(
        QueuedMessagesDroppedName, "{message}", "QoS 1 and 2 messages refused by a full session queue");

    /// <summary>QoS 0 messages not sent to a client because its outbound queue was full (it reads too slowly).</summary>
    public static readonly Counter<long> Qos0Dropped = Meter.CreateCounter<long>(
        "actors_mqtt.connection.qos0.dropped", "{message}", "QoS 0 messages dropped for a client that reads too slowly");
}
