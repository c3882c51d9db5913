using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Actors.Mqtt.Broker;
using Actors.Mqtt.Broker.Statistics;

namespace Actors.Mqtt.Server.Operations;

/// <summary>
/// The status page on the monitoring listener: <c>/</c> is a static page (HTML, a script and a style sheet, embedded in
/// this assembly) whose script polls <c>/api/status</c>, the broker's totals as JSON. Rates are worked out by the page
/// from two readings, so the server keeps no history and any number of pages cost one reading each per poll.
/// </summary>
internal sealed class StatusPage(BrokerStatistics totals, RecentWarnings warnings)
{
    /// <summary>What <c>/api/status</c> reports, in order: its JSON property, the instrument it is read from, and whether
    /// it has a label (an object by label value) or not (a number).</summary>
    private static readonly (string Property, string Instrument, bool Labelled)[] Fields =
    [
        ("connections", MonitoringHttp.ConnectionsInstrument, true),
        ("sessionsOnline", BrokerMetrics.SessionsOnline.Name, false),
        ("sessionsOffline", BrokerMetrics.SessionsOffline.Name, false),
        ("sessionsOfflineCluster", BrokerMetrics.SessionsOfflineCluster.Name, false),
        ("sessionsExpired", BrokerMetrics.SessionsExpired.Name, false),
        ("subscriptions", BrokerMetrics.Subscriptions.Name, false),
        ("connectionsAccepted", BrokerMetrics.ConnectionsAccepted.Name, false),
        ("connectionsRefused", BrokerMetrics.ConnectionsRefused.Name, true),
        ("authenticationFailures", BrokerMetrics.AuthenticationFailures.Name, false),
        ("messagesReceived", BrokerMetrics.MessagesReceived.Name, true),
        ("messagesSent", BrokerMetrics.MessagesSent.Name, true),
        ("bytesReceived", BrokerMetrics.BytesReceived.Name, false),
        ("bytesSent", BrokerMetrics.BytesSent.Name, false),
        ("retainedMessages", BrokerMetrics.RetainedMessages.Name, false),
        ("sessionQueued", BrokerMetrics.SessionQueued.Name, false),
        ("sessionQueuedBytes", BrokerMetrics.SessionQueuedBytes.Name, false),
        ("sessionInflight", BrokerMetrics.SessionInflight.Name, false),
        ("messagesDropped", BrokerMetrics.MessagesDropped.Name, true),
        ("journalWriteFailures", BrokerMetrics.JournalWriteFailures.Name, true),
        ("clusterMembers", BrokerMetrics.ClusterMembers.Name, true),
        ("clusterUnreachable", BrokerMetrics.ClusterUnreachable.Name, false),
    ];

    /// <summary>The histograms <c>/api/status</c> reports, each an object by label value.</summary>
    private static readonly (string Property, string Instrument)[] Histograms =
    [
        ("journalWriteSeconds", BrokerMetrics.JournalWriteDuration.Name),
        ("publishAckSeconds", BrokerMetrics.PublishAckDuration.Name),
    ];

    private static readonly Dictionary<string, (byte[] Content, string Type)> Files = new(StringComparer.Ordinal)
    {
        ["/"] = (Resource("index.html"), "text/html; charset=utf-8"),
        ["/status.js"] = (Resource("status.js"), "text/javascript; charset=utf-8"),
        ["/status.css"] = (Resource("status.css"), "text/css; charset=utf-8"),
    };

    private static readonly string Version =
        typeof(StatusPage).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    private static readonly DateTime Started = Process.GetCurrentProcess().StartTime.ToUniversalTime();

    /// <summary>Answers a request for the page or its data; false for any other path.</summary>
    public async Task<bool> TryAnswerAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        if (path == "/api/status")
        {
            context.Response.ContentType = "application/json; charset=utf-8";
            context.Response.Headers.CacheControl = "no-store";
            await context.Response.Body.WriteAsync(Report(), context.RequestAborted).ConfigureAwait(false);
            return true;
        }

        if (Files.TryGetValue(path, out var file))
        {
            context.Response.ContentType = file.Type;
            context.Response.Headers.XContentTypeOptions = "nosniff";
            await context.Response.Body.WriteAsync(file.Content, context.RequestAborted).ConfigureAwait(false);
            return true;
        }

        return false;
    }

    /// <summary>The JSON of <c>/api/status</c>.</summary>
    internal byte[] Report()
    {
        var now = DateTime.UtcNow;
        var read = totals.Read();
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("version", Version);
            json.WriteString("time", now);
            json.WriteNumber("uptimeSeconds", Math.Round((now - Started).TotalSeconds, 3));
            foreach (var (property, instrument, labelled) in Fields)
            {
                var values = read.GetValueOrDefault(instrument);
                if (labelled)
                {
                    json.WriteStartObject(property);
                    foreach (var (label, value) in (values ?? new Dictionary<string, long>()).OrderBy(v => v.Key, StringComparer.Ordinal))
                    {
                        json.WriteNumber(label, value);
                    }

                    json.WriteEndObject();
                }
                else
                {
                    json.WriteNumber(property, values?.GetValueOrDefault(string.Empty) ?? 0);
                }
            }

            var histograms = totals.ReadHistograms();
            foreach (var (property, instrument) in Histograms)
            {
                json.WriteStartObject(property);
                foreach (var (label, reading) in (histograms.GetValueOrDefault(instrument) ?? []).OrderBy(h => h.Key, StringComparer.Ordinal))
                {
                    WriteHistogram(json, label, reading);
                }

                json.WriteEndObject();
            }

            json.WriteStartArray("warnings");
            foreach (var warning in warnings.Read())
            {
                json.WriteStartObject();
                json.WriteString("time", warning.Time);
                json.WriteString("level", warning.Level);
                json.WriteString("source", warning.Source);
                json.WriteString("message", warning.Message);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// A histogram series: its count, sum, mean, p50 and p99 since the broker started (the quantiles estimated from the
    /// buckets, see <see cref="HistogramReading.Quantile"/>), and its buckets as <c>/metrics</c> writes them: cumulative
    /// counts by upper boundary (<c>le</c>), the last <c>+Inf</c>. The page works out the mean of the last refresh from
    /// two readings' counts and sums.
    /// </summary>
    private static void WriteHistogram(Utf8JsonWriter json, string label, HistogramReading reading)
    {
        json.WriteStartObject(label);
        json.WriteNumber("count", reading.Count);
        json.WriteNumber("sum", reading.Sum);
        json.WriteNumber("mean", reading.Mean);
        json.WriteNumber("p50", reading.Quantile(0.5));
        json.WriteNumber("p99", reading.Quantile(0.99));
        json.WriteStartObject("buckets");
        long cumulative = 0;
        for (var i = 0; i < reading.Counts.Count; i++)
        {
            cumulative += reading.Counts[i];
            json.WriteNumber(i < reading.Boundaries.Count ? reading.Boundaries[i].ToString(CultureInfo.InvariantCulture) : "+Inf", cumulative);
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static byte[] Resource(string name)
    {
        using var stream = typeof(StatusPage).Assembly.GetManifestResourceStream("Actors.Mqtt.Server.StatusPage." + name)
            ?? throw new InvalidOperationException($"the status page's {name} is not embedded in {typeof(StatusPage).Assembly.GetName().Name}");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
