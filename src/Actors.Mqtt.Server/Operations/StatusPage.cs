using System.Diagnostics;
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

    private static byte[] Resource(string name)
    {
        using var stream = typeof(StatusPage).Assembly.GetManifestResourceStream("Actors.Mqtt.Server.StatusPage." + name)
            ?? throw new InvalidOperationException($"the status page's {name} is not embedded in {typeof(StatusPage).Assembly.GetName().Name}");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
