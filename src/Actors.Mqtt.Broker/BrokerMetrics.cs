using System.Diagnostics.Metrics;
using System.Text;
using Actors.Mqtt.Broker.Clustering;
using Actors.Mqtt.Protocol;

namespace Actors.Mqtt.Broker;

/// <summary>
/// What the broker counts, as .NET metrics (<see cref="System.Diagnostics.Metrics"/>): readable with
/// <c>dotnet-counters monitor -p PID --counters Actors.Mqtt</c>, and served on <c>/metrics</c> by the host when its HTTP
/// listener is on. Instruments are thread-safe and hold no broker state, so actors share them as they share a logger.
/// Names follow Prometheus's conventions once the exporter has turned dots into underscores and added the unit and
/// <c>_total</c> (docs/operations.md lists them as scraped).
/// </summary>
/// <remarks>
/// Hot paths call <c>Add</c> or <c>Record</c> with at most one tag, taken from the static tag values below: a boxed tag
/// made per call would allocate per message. With no listener (HTTP off, no dotnet-counters), they return at once.
/// </remarks>
public static class BrokerMetrics
{
    /// <summary>The meter every instrument of the broker belongs to.</summary>
    public const string MeterName = "Actors.Mqtt";

    /// <summary>The name of <see cref="MessagesDropped"/>.</summary>
    public const string MessagesDroppedName = "actors_mqtt.messages.dropped";

    /// <summary>The bucket boundaries of the duration histograms, in seconds: from a journal write to a disk that does not
    /// sync (under a millisecond) to a PUBACK close to <c>persistence.confirm-timeout</c> (10 s).</summary>
    private static readonly double[] DurationBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private static readonly Meter Meter = new(MeterName);

    private static readonly KeyValuePair<string, object?>[] QosTags = [new("qos", "0"), new("qos", "1"), new("qos", "2")];

    private static readonly KeyValuePair<string, object?> SessionWriter = new("writer", "session");
    private static readonly KeyValuePair<string, object?> RetainedWriter = new("writer", "retained");

    /// <summary>The <c>reason</c> label values of <see cref="MessagesDropped"/>, in the order of <see cref="DropReason"/>.</summary>
    public static readonly IReadOnlyList<string> DropReasons =
        ["max-queued-messages", "max-queued-bytes", "shared-group", "slow-reader", "expired", "too-large", "not-authorized"];

    // After DropReasons: static fields are set in the order they are written.
    private static readonly KeyValuePair<string, object?>[] DropTags = [.. DropReasons.Select(r => new KeyValuePair<string, object?>("reason", r))];

    /// <summary>Messages the broker did not deliver, tagged with the <c>reason</c> (<see cref="DropReason"/>): one count
    /// per copy not delivered to one subscriber, or per PUBLISH or will refused before it was routed.</summary>
    public static readonly Counter<long> MessagesDropped = Meter.CreateCounter<long>(
        MessagesDroppedName, "{message}", "Messages not delivered, by reason");

    /// <summary>CONNECTs answered with a successful CONNACK.</summary>
    public static readonly Counter<long> ConnectionsAccepted = Meter.CreateCounter<long>(
        "actors_mqtt.connections.accepted", "{connection}", "CONNECTs answered with a successful CONNACK");

    /// <summary>Connections refused, tagged with the <c>reason</c>: a limit that closed the socket before any MQTT was
    /// read, or the reason code of a CONNACK that refused.</summary>
    public static readonly Counter<long> ConnectionsRefused = Meter.CreateCounter<long>(
        "actors_mqtt.connections.refused", "{connection}", "Connections refused before or at CONNECT");

    /// <summary>Clients connected now: from a successful CONNACK to the end of their connection.</summary>
    public static readonly UpDownCounter<long> SessionsOnline = Meter.CreateUpDownCounter<long>(
        "actors_mqtt.sessions.online", "{session}", "Clients connected now (CONNACK sent, connection not yet ended)");

    /// <summary>Sessions kept for a client with no connection now (durable: they outlive their connection).</summary>
    public static readonly UpDownCounter<long> SessionsOffline = Meter.CreateUpDownCounter<long>(
        "actors_mqtt.sessions.offline", "{session}", "Durable sessions whose client is not connected");

    /// <summary>Durable sessions whose client is not connected, asleep or in memory, across the cluster: read from the
    /// session index by its oldest member (<see cref="Sessions.DeadlineKeeper"/>), which alone reports it, so that the sum
    /// over the members is the cluster's count.</summary>
    public static readonly UpDownCounter<long> SessionsOfflineCluster = Meter.CreateUpDownCounter<long>(
        "actors_mqtt.sessions.offline_cluster", "{session}", "Durable sessions whose client is not connected, asleep or in memory, across the cluster (session index)");

    /// <summary>Bridges forwarding now, tagged with the <c>bridge</c>'s name: 1 from the moment its remote broker is connected
    /// and its session attached, 0 while it waits for the remote.</summary>
    public static readonly UpDownCounter<long> BridgesConnected = Meter.CreateUpDownCounter<long>(
        "actors_mqtt.bridge.connected", "{bridge}", "Bridges whose remote broker is connected, by bridge");

    /// <summary>Messages that crossed a bridge, tagged with the <c>bridge</c>'s name and the <c>direction</c>: <c>out</c>
    /// once the remote broker took one (its acknowledgement for QoS 1 and 2), <c>in</c> once one from the remote was
    /// published here.</summary>
    public static readonly Counter<long> BridgeMessages = Meter.CreateCounter<long>(
        "actors_mqtt.bridge.messages", "{message}", "Messages that crossed a bridge, by bridge and direction");

    /// <summary>Sessions that ended because their expiry interval passed without their client.</summary>
    public static readonly Counter<long> SessionsExpired = Meter.CreateCounter<long>(
        "actors_mqtt.sessions.expired", "{session}", "Sessions ended by their expiry interval");

    /// <summary>Subscriptions held by all sessions, shared ones included.</summary>
    public static readonly UpDownCounter<long> Subscriptions = Meter.CreateUpDownCounter<long>(
        "actors_mqtt.subscriptions", "{subscription}", "Subscriptions held by all sessions");

    /// <summary>QoS 1 and 2 messages waiting in sessions, not yet sent to their client.</summary>
    public static readonly UpDownCounter<long> SessionQueued = Meter.CreateUpDownCounter<long>(
        "actors_mqtt.session.queued", "{message}", "Messages waiting in sessions, not yet sent to their client");

    /// <summary>Payload bytes of the messages of <see cref="SessionQueued"/>, what <c>max-queued-bytes</c> limits.</summary>
    public static readonly UpDownCounter<long> SessionQueuedBytes = Meter.CreateUpDownCounter<long>(
        "actors_mqtt.session.queued.bytes", "By", "Payload bytes of the messages waiting in sessions");

    /// <summary>QoS 1 and 2 messages sent to clients and not yet acknowledged.</summary>
    public static readonly UpDownCounter<long> SessionInflight = Meter.CreateUpDownCounter<long>(
        "actors_mqtt.session.inflight", "{message}", "Messages sent to clients and not yet acknowledged");

    /// <summary>PUBLISH packets received from clients, tagged with their <c>qos</c>.</summary>
    public static readonly Counter<long> MessagesReceived = Meter.CreateCounter<long>(
        "actors_mqtt.messages.received", "{message}", "PUBLISH packets received from clients");

    /// <summary>PUBLISH packets handed to clients' sockets, tagged with their <c>qos</c>.</summary>
    public static readonly Counter<long> MessagesSent = Meter.CreateCounter<long>(
        "actors_mqtt.messages.sent", "{message}", "PUBLISH packets sent to clients");

    /// <summary>MQTT bytes read from clients (inside TLS and WebSocket framing).</summary>
    public static readonly Counter<long> BytesReceived = Meter.CreateCounter<long>(
        "actors_mqtt.received", "By", "MQTT bytes received from clients");

    /// <summary>MQTT bytes written to clients (inside TLS and WebSocket framing).</summary>
    public static readonly Counter<long> BytesSent = Meter.CreateCounter<long>(
        "actors_mqtt.sent", "By", "MQTT bytes sent to clients");

    /// <summary>Retained messages held now.</summary>
    public static readonly UpDownCounter<long> RetainedMessages = Meter.CreateUpDownCounter<long>(
        "actors_mqtt.retained.messages", "{message}", "Retained messages held");

    /// <summary>Journal writes that failed, tagged with the <c>writer</c>: <c>session</c> or <c>retained</c>.</summary>
    public static readonly Counter<long> JournalWriteFailures = Meter.CreateCounter<long>(
        "actors_mqtt.journal.write.failures", "{failure}", "Journal writes that failed");

    /// <summary>How long journal writes took, in seconds, tagged with the <c>writer</c>: from the actor's call to persist to
    /// the write's confirmation, one measurement per call (a session's messages queued behind a pending write are one
    /// call). Failed writes are not measured: they are counted in <see cref="JournalWriteFailures"/>.</summary>
    public static readonly Histogram<double> JournalWriteDuration = Meter.CreateHistogram<double>(
        "actors_mqtt.journal.write.duration",
        "s",
        "Journal writes from the call to persist to its confirmation; failed writes are not measured",
        tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    /// <summary>How long QoS 1 and 2 PUBLISHes waited for their PUBACK or PUBREC, in seconds, tagged with their <c>qos</c>:
    /// from the moment the publisher's connection read the PUBLISH to the moment it sent the acknowledgement, only for
    /// those whose acknowledgement waited for a durable write (a durable subscriber's session, or the retained store).
    /// </summary>
    public static readonly Histogram<double> PublishAckDuration = Meter.CreateHistogram<double>(
        "actors_mqtt.publish.ack.duration",
        "s",
        "QoS 1 and 2 PUBLISHes from receipt to PUBACK or PUBREC, only those that waited for a durable write; one nobody durable subscribed to, and not retained, is answered at once and not measured",
        tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    /// <summary>CONNECTs refused for their credentials: a bad user name or password, or an anonymous client where
    /// none may connect.</summary>
    public static readonly Counter<long> AuthenticationFailures = Meter.CreateCounter<long>(
        "actors_mqtt.authentication.failures", "{failure}", "CONNECTs refused for their credentials");

    /// <summary>The cluster's members as this node sees them, by <c>status</c> (<c>up</c>, <c>joining</c>, <c>leaving</c>,
    /// ...; every status, 0 included). One node alone is one member <c>up</c>.</summary>
    public static readonly ObservableGauge<long> ClusterMembers = Meter.CreateObservableGauge(
        "actors_mqtt.cluster.members", ClusterMembership.Members, "{node}", "Cluster members as this node sees them, by status");

    /// <summary>Members this node's failure detector finds unreachable now: a node down, cut off, or too busy to answer
    /// heartbeats. The split brain resolver downs them once membership stayed unchanged for its stable-after.</summary>
    public static readonly ObservableGauge<long> ClusterUnreachable = Meter.CreateObservableGauge(
        "actors_mqtt.cluster.unreachable", ClusterMembership.Unreachable, "{node}", "Cluster members this node finds unreachable");

    public static void PublishReceived(QualityOfService qos) => MessagesReceived.Add(1, QosTags[(int)qos]);

    public static void PublishSent(QualityOfService qos) => MessagesSent.Add(1, QosTags[(int)qos]);

    public static void Dropped(DropReason reason) => MessagesDropped.Add(1, DropTags[(int)reason]);

    public static void SessionWriteFailed() => JournalWriteFailures.Add(1, SessionWriter);

    public static void RetainedWriteFailed() => JournalWriteFailures.Add(1, RetainedWriter);

    public static void SessionWritten(TimeSpan took) => JournalWriteDuration.Record(took.TotalSeconds, SessionWriter);

    public static void RetainedWritten(TimeSpan took) => JournalWriteDuration.Record(took.TotalSeconds, RetainedWriter);

    public static void PublishAcknowledged(QualityOfService qos, TimeSpan waited) => PublishAckDuration.Record(waited.TotalSeconds, QosTags[(int)qos]);

    public static void ConnectionRefused(string reason) => ConnectionsRefused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>A CONNACK's refusal as a label value, <c>bad-user-name-or-password</c> for
    /// <see cref="ReasonCode.BadUserNameOrPassword"/>: the name operators read in the specification.</summary>
    public static string ReasonLabel(ReasonCode code) => Label(code.ToString());

    /// <summary>A name in Pascal case as a label value in kebab case: <c>WeaklyUp</c> as <c>weakly-up</c>.</summary>
    public static string Label(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var label = new StringBuilder(name.Length + 8);
        foreach (var c in name)
        {
            if (char.IsUpper(c) && label.Length > 0)
            {
                label.Append('-');
            }

            label.Append(char.ToLowerInvariant(c));
        }

        return label.ToString();
    }
}

/// <summary>Why a message was not delivered: the <c>reason</c> label of <see cref="BrokerMetrics.MessagesDropped"/>
/// (<see cref="BrokerMetrics.DropReasons"/> holds the values as written).</summary>
public enum DropReason
{
    /// <summary>A QoS 1 or 2 message a session's queue refused at <c>max-queued-messages</c>.</summary>
    MaxQueuedMessages,

    /// <summary>A QoS 1 or 2 message a session's queue refused at <c>max-queued-bytes</c>.</summary>
    MaxQueuedBytes,

    /// <summary>A QoS 1 or 2 message no member of a shared subscription could take.</summary>
    SharedGroup,

    /// <summary>A QoS 0 message not sent because its client reads too slowly (its outbound queue is full).</summary>
    SlowReader,

    /// <summary>A message whose Message Expiry Interval passed while it waited in the session [MQTT-3.3.2-5].</summary>
    Expired,

    /// <summary>A message larger than the subscriber's Maximum Packet Size, dropped as if sent [MQTT-3.1.2-25].</summary>
    TooLarge,

    /// <summary>A PUBLISH or a will its client may not publish, or a message its subscriber may not read.</summary>
    NotAuthorized,
}
