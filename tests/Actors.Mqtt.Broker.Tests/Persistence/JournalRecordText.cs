using Actors.Mqtt.Broker.Persistence;
using Actors.Mqtt.Broker.Routing;

namespace Actors.Mqtt.Broker.Tests.Persistence;

/// <summary>
/// A structural text of a journaled record, for comparing what was written with what reads back: records hold lists
/// and payloads, whose equality is by reference.
/// </summary>
internal static class JournalRecordText
{
    /// <summary>Payloads and lists as their contents; receipt times as wall-clock seconds (they travel as wall-clock
    /// milliseconds and come back as process ticks, a clock read apart).</summary>
    public static string Describe(object? value) => value switch
    {
        null => "null",
        string s => '"' + s + '"',
        ReadOnlyMemory<byte> bytes => Convert.ToHexString(bytes.Span),
        RoutePublish p => $"RoutePublish({Describe(p.Message)}, {Describe(p.PublisherClientId)}, ~{JournalFormats.ToUnixMilliseconds(p.ReceivedAt) / 1000}s, key {p.MessageKey})",
        System.Collections.IEnumerable list => "[" + string.Join(", ", list.Cast<object>().Select(Describe)) + "]",
        _ when value.GetType().IsPrimitive || value is Enum or DateTimeOffset => value.ToString()!,
        _ => value.GetType().Name + "{" + string.Join(", ", value.GetType().GetProperties()
            .Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract")
            .Select(p => p.Name + "=" + Describe(p.GetValue(value)))) + "}",
    };
}
