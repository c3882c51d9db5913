using Actors.Mqtt.Broker;
using Actors.Mqtt.Protocol;

namespace Actors.Mqtt.Server.Operations;

/// <summary>
/// Puts a 0 in every series of the broker whose labels are known in advance, once the exporter listens. OpenTelemetry
/// writes a series only after its first measurement, and a counter that first appears at 1 hides that first event from
/// Prometheus: <c>increase()</c> and <c>rate()</c> need two samples, so the alert on journal write failures would miss
/// the first failure, often the only one. Dashboards also show 0 rather than "no data".
/// </summary>
/// <remarks>
/// Refusals by a CONNACK reason code other than the credential ones are left to appear with their first: there are
/// many and most never happen. Nothing here touches the message path.
/// </remarks>
internal static class CountersAtZero
{
    private static readonly string[] AdmissionLimits = ["connect-rate", "listener-max-connections", "max-connections"];
    private static readonly string[] Writers = ["session", "retained"];
    private static readonly string[] Qos = ["0", "1", "2"];

    /// <summary>Call once the metrics provider has been built: an <c>Add</c> that no listener hears is lost.</summary>
    public static void Start()
    {
        BrokerMetrics.ConnectionsAccepted.Add(0);
        BrokerMetrics.AuthenticationFailures.Add(0);
        BrokerMetrics.BytesReceived.Add(0);
        BrokerMetrics.BytesSent.Add(0);
        BrokerMetrics.SessionsOnline.Add(0);
        BrokerMetrics.SessionsOffline.Add(0);
        BrokerMetrics.SessionsOfflineCluster.Add(0);
        BrokerMetrics.SessionsExpired.Add(0);
        BrokerMetrics.Subscriptions.Add(0);
        BrokerMetrics.SessionQueued.Add(0);
        BrokerMetrics.SessionQueuedBytes.Add(0);
        BrokerMetrics.SessionInflight.Add(0);
        BrokerMetrics.RetainedMessages.Add(0);
        string[] refusals = [.. AdmissionLimits, BrokerMetrics.ReasonLabel(ReasonCode.BadUserNameOrPassword), BrokerMetrics.ReasonLabel(ReasonCode.NotAuthorized)];
        foreach (var reason in refusals)
        {
            BrokerMetrics.ConnectionsRefused.Add(0, new KeyValuePair<string, object?>("reason", reason));
        }

        foreach (var reason in BrokerMetrics.DropReasons)
        {
            BrokerMetrics.MessagesDropped.Add(0, new KeyValuePair<string, object?>("reason", reason));
        }

        foreach (var writer in Writers)
        {
            BrokerMetrics.JournalWriteFailures.Add(0, new KeyValuePair<string, object?>("writer", writer));
        }

        foreach (var qos in Qos)
        {
            BrokerMetrics.MessagesReceived.Add(0, new KeyValuePair<string, object?>("qos", qos));
            BrokerMetrics.MessagesSent.Add(0, new KeyValuePair<string, object?>("qos", qos));
        }
    }
}
