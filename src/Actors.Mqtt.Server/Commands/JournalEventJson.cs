using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Broker.Sessions;

namespace Actors.Mqtt.Server.Commands;

/// <summary>
/// One journaled session event as a line of JSON for the audit trail: its position, time, type and fields.
/// Payloads show as size and SHA-256 unless asked for, since an audit log should not copy what devices sent.
/// </summary>
internal static class JournalEventJson
{
    public static string Format(long sequenceNr, DateTimeOffset? time, object e, bool payloads)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteNumber("seq", sequenceNr);
            if (time is { } t)
            {
                w.WriteString("time", t.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            }

            w.WriteString("event", e.GetType().Name);
            WriteFields(w, e, payloads);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteFields(Utf8JsonWriter w, object e, bool payloads)
    {
        switch (e)
        {
            case SessionStarted s:
                w.WriteNumber("expiryInterval", s.ExpiryInterval);
                break;
            case ExpiryChanged s:
                w.WriteNumber("expiryInterval", s.ExpiryInterval);
                break;
            case WillChanged { Will: null }:
                w.WriteNull("will");
                break;
            case WillChanged { Will: { } will }:
                w.WriteStartObject("will");
                w.WriteString("topic", will.Topic);
                w.WriteNumber("qos", (int)will.QoS);
                w.WriteBoolean("retain", will.Retain);
                w.WriteNumber("delay", will.Properties?.WillDelayInterval ?? 0);
                WritePayload(w, will.Payload, payloads);
                w.WriteEndObject();
                break;
            case Subscribed s:
                w.WriteStartArray("subscriptions");
                foreach (var sub in s.Subscriptions)
                {
                    w.WriteStartObject();
                    w.WriteString("filter", sub.FilterText);
                    w.WriteNumber("qos", (int)sub.MaximumQoS);
                    if (sub.SubscriptionIdentifier is { } id)
                    {
                        w.WriteNumber("identifier", id);
                    }

                    w.WriteEndObject();
                }

                w.WriteEndArray();
                break;
            case Unsubscribed u:
                w.WriteStartArray("filters");
                foreach (var filter in u.FilterTexts)
                {
                    w.WriteStringValue(filter);
                }

                w.WriteEndArray();
                break;
            case MessageQueued q:
                WriteQueued(w, q, payloads);
                break;
            case MessagesQueued batch:
                w.WriteStartArray("messages");
                foreach (var q in batch.Messages)
                {
                    w.WriteStartObject();
                    WriteQueued(w, q, payloads);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                break;
            case MessageSent m:
                WritePacketIds(w, m.PacketIds);
                break;
            case MessageAcknowledged m:
                WritePacketIds(w, m.PacketIds);
                break;
            case MessageReceived m:
                w.WriteNumber("packetId", m.PacketId);
                break;
            case Qos2Received m:
                w.WriteNumber("packetId", m.PacketId);
                break;
            case Qos2Routed m:
                w.WriteNumber("packetId", m.PacketId);
                break;
            case Qos2Released m:
                w.WriteNumber("packetId", m.PacketId);
                break;
            case SessionDetached d:
                w.WriteString("at", d.At.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
                break;
            case SessionSnapshot s:
                w.WriteNumber("subscriptions", s.Subscriptions.Count);
                w.WriteNumber("queued", s.Queue.Count);
                w.WriteNumber("inflight", s.Inflight.Count);
                break;
        }
    }

    private static void WriteQueued(Utf8JsonWriter w, MessageQueued q, bool payloads)
    {
        WriteMessage(w, q.Message.Publish, q.Message.Delivery.MaximumQoS, payloads);
        if (q.SentAs != 0)
        {
            w.WriteNumber("sentAs", q.SentAs);
        }
    }

    private static void WritePacketIds(Utf8JsonWriter w, IReadOnlyList<ushort> ids)
    {
        w.WriteStartArray("packetIds");
        foreach (var id in ids)
        {
            w.WriteNumberValue(id);
        }

        w.WriteEndArray();
    }

    private static void WriteMessage(Utf8JsonWriter w, RoutePublish publish, Protocol.QualityOfService qos, bool payloads)
    {
        w.WriteString("topic", publish.Message.Topic);
        w.WriteNumber("qos", (int)qos);
        if (publish.PublisherClientId is { } publisher)
        {
            w.WriteString("publisher", publisher);
        }

        WritePayload(w, publish.Message.Payload, payloads);
    }

    private static void WritePayload(Utf8JsonWriter w, ReadOnlyMemory<byte> payload, bool show)
    {
        w.WriteNumber("payloadBytes", payload.Length);
        w.WriteString("payloadSha256", Convert.ToHexStringLower(SHA256.HashData(payload.Span)));
        if (show)
        {
            w.WriteBase64String("payload", payload.Span);
        }
    }
}
