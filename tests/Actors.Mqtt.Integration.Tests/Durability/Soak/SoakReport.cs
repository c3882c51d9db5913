using System.Globalization;
using System.Text;
using Actors.Mqtt.Protocol;

namespace Actors.Mqtt.Integration.Tests.Durability.Soak;

/// <summary>A kill of the run: when the broker got SIGKILL and when its successor listened, in the run's milliseconds.</summary>
public readonly record struct SoakKill(long KilledAt, long UpAt, int Port);

/// <summary>A period the offline subscriber was told to stay away, in the run's milliseconds.</summary>
public readonly record struct SoakAbsence(long From, long Until);

/// <summary>
/// What a run comes to: for every subscriber, the acknowledged messages that never arrived (a broken promise for any
/// QoS) and the QoS 2 messages that arrived more than once (a broken promise for QoS 2; QoS 1 duplicates are allowed
/// and only counted); a one-line summary and, for a failure, the evidence.
/// </summary>
public sealed class SoakReport
{
    private const int Listed = 25;
    private readonly SoakSettings settings;
    private readonly IReadOnlyList<SoakPublisher> publishers;
    private readonly IReadOnlyList<SoakKill> kills;
    private readonly IReadOnlyList<SoakAbsence> absences;
    private readonly List<Row> rows = [];

    public SoakReport(SoakSettings settings, IReadOnlyList<SoakPublisher> publishers, IReadOnlyList<SoakSubscriber> subscribers, IReadOnlyList<SoakKill> kills, IReadOnlyList<SoakAbsence> absences)
    {
        this.settings = settings;
        this.publishers = publishers;
        this.kills = kills;
        this.absences = absences;
        var required = Required(publishers);
        foreach (var subscriber in subscribers)
        {
            var (first, again) = subscriber.Arrivals();
            rows.Add(new Row(
                subscriber,
                first,
                [.. required.Where(m => !first.ContainsKey(m)).OrderBy(m => m.Publisher).ThenBy(m => m.Sequence)],
                [.. again.Where(p => QoSOf(p.Key) == QualityOfService.ExactlyOnce).OrderBy(p => first[p.Key].At)],
                again.Where(p => QoSOf(p.Key) == QualityOfService.AtLeastOnce).Sum(p => p.Value.Count),
                [.. first.Keys.Where(m => m.Publisher < 0 || m.Publisher >= publishers.Count || m.Sequence >= publishers[m.Publisher].Sent)]));
        }

        Anomalies = [.. publishers.SelectMany(p => p.Anomalies), .. subscribers.SelectMany(s => s.Anomalies),
            .. rows.SelectMany(r => r.Unknown.Select(m => $"{r.Subscriber.ClientId} received {m}, which was never sent"))];
    }

    /// <summary>What MQTT does not allow besides missing and duplicated messages: a lost session, a packet id reused
    /// while held, a packet out of place.</summary>
    public IReadOnlyList<string> Anomalies { get; }

    public int Missing => rows.Sum(r => r.Missing.Count);

    public int Duplicated => rows.Sum(r => r.Twice.Count);

    /// <summary>Messages still in flight when the publishers gave up: the broker never finished their exchange.</summary>
    public int Unfinished => publishers.Sum(p => p.Unfinished.Count);

    public bool Passed => Missing == 0 && Duplicated == 0 && Unfinished == 0 && Anomalies.Count == 0;

    /// <summary>The acknowledged messages every subscriber must get: PUBACK (QoS 1), PUBREC (QoS 2, so PUBCOMP too).</summary>
    public static IReadOnlyList<SoakMessage> Required(IReadOnlyList<SoakPublisher> publishers) =>
        [.. publishers.SelectMany(p => p.AcknowledgedAt.Keys.Union(p.ReceivedAt.Keys).Select(s => new SoakMessage(p.Index, s)))];

    public string Summary =>
        Invariant($"soak seed={settings.Seed} minutes={settings.Minutes} rate={settings.Rate} kills={kills.Count} ") +
        Invariant($"sent={publishers.Sum(p => p.Sent)} acknowledged={publishers.Sum(p => p.AcknowledgedAt.Count)} ") +
        Invariant($"pubrec={publishers.Sum(p => p.ReceivedAt.Count)} refused={publishers.Sum(p => p.Refused.Count)} unfinished={Unfinished} ") +
        Invariant($"received=[{string.Join(' ', rows.Select(r => r.Subscriber.Received))}] ") +
        Invariant($"missing={Missing} [{string.Join(' ', rows.Select(r => r.Missing.Count))}] ") +
        Invariant($"duplicated={Duplicated} [{string.Join(' ', rows.Select(r => r.Twice.Count))}] ") +
        Invariant($"qos1-duplicates={rows.Sum(r => r.Qos1Duplicates)} anomalies={Anomalies.Count} result={(Passed ? "pass" : "FAIL")}");

    /// <summary>Everything a reader needs to find the cause: per publisher and subscriber, which messages, when, and
    /// where the kills fell.</summary>
    public string Details()
    {
        var text = new StringBuilder();
        text.AppendLine(Summary);
        text.AppendLine(Invariant($"times are milliseconds since the run's clock started; replay the schedule with {SoakSettings.SeedVariable}={settings.Seed}"));
        text.AppendLine("kills: " + string.Join("; ", kills.Select(k => Invariant($"killed {k.KilledAt}, up {k.UpAt} on port {k.Port}"))));
        text.AppendLine("offline subscriber away: " + string.Join(", ", absences.Select(a => Invariant($"{a.From}-{a.Until}"))));
        foreach (var publisher in publishers)
        {
            text.AppendLine(Invariant(
                $"publisher {publisher.Index} ({publisher.ClientId}, QoS {(int)publisher.QoS}, {publisher.Version}): sent {publisher.Sent}, ") +
                Invariant($"acknowledged {publisher.AcknowledgedAt.Count}, PUBREC {publisher.ReceivedAt.Count}, refused {publisher.Refused.Count}, ") +
                Invariant($"unfinished {publisher.Unfinished.Count}{List(publisher.Unfinished.Order().Select(s => Describe(new SoakMessage(publisher.Index, s))))}, ") +
                Invariant($"connections {publisher.Connections}"));
        }

        foreach (var row in rows)
        {
            text.AppendLine(Invariant(
                $"subscriber {row.Subscriber.Index} ({row.Subscriber.ClientId}, {row.Subscriber.Version}): received {row.Subscriber.Received} ") +
                Invariant($"({row.Arrived.Count} distinct), connections {row.Subscriber.Connections}, offline {row.Subscriber.OfflinePeriods} times, ") +
                Invariant($"QoS 1 duplicates {row.Qos1Duplicates}"));
            text.AppendLine(Invariant($"  missing {row.Missing.Count}{Ranges(row.Missing)}{List(row.Missing.Select(Describe))}"));
            text.AppendLine(Invariant($"  QoS 2 duplicated {row.Twice.Count}{Ranges([.. row.Twice.Select(p => p.Key).Order()])}{List(row.Twice.Select(p => $"{Describe(p.Key)}; arrived {string.Join(", then ", p.Value.Prepend(row.Arrived[p.Key]))}"))}"));
        }

        text.AppendLine(Invariant($"anomalies {Anomalies.Count}{List(Anomalies)}"));
        var notes = publishers.SelectMany(p => p.Notes).Concat(rows.SelectMany(r => r.Subscriber.Notes)).ToList();
        text.AppendLine(Invariant($"notes {notes.Count}{List(notes)}"));
        return text.ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string List(IEnumerable<string> items)
    {
        var all = items.ToList();
        return all.Count == 0 ? string.Empty
            : ":\n    " + string.Join("\n    ", all.Take(Listed)) + (all.Count > Listed ? Invariant($"\n    ... and {all.Count - Listed} more") : string.Empty);
    }

    /// <summary>Every message of the list at a glance, as sequence ranges per publisher: "p2 147-177, 190".</summary>
    private static string Ranges(List<SoakMessage> messages)
    {
        if (messages.Count == 0)
        {
            return string.Empty;
        }

        var publishers = messages.GroupBy(m => m.Publisher).OrderBy(g => g.Key).Select(g =>
        {
            var runs = new List<string>();
            var sequences = g.Select(m => m.Sequence).Order().ToList();
            for (var i = 0; i < sequences.Count;)
            {
                var j = i;
                while (j + 1 < sequences.Count && sequences[j + 1] == sequences[j] + 1)
                {
                    j++;
                }

                runs.Add(i == j ? Invariant($"{sequences[i]}") : Invariant($"{sequences[i]}-{sequences[j]}"));
                i = j + 1;
            }

            return Invariant($"p{g.Key} {string.Join(", ", runs)}");
        });
        return " (" + string.Join("; ", publishers) + ")";
    }

    private QualityOfService QoSOf(SoakMessage message) =>
        message.Publisher >= 0 && message.Publisher < publishers.Count ? publishers[message.Publisher].QoS : QualityOfService.AtMostOnce;

    /// <summary>A message with its publisher's times: first sent, PUBREC, PUBACK/PUBCOMP.</summary>
    private string Describe(SoakMessage message)
    {
        if (message.Publisher < 0 || message.Publisher >= publishers.Count || message.Sequence >= publishers[message.Publisher].Sent)
        {
            return message.ToString();
        }

        var publisher = publishers[message.Publisher];
        var text = Invariant($"{message} (QoS {(int)publisher.QoS}) sent {publisher.SentAt[message.Sequence]}");
        if (publisher.ReceivedAt.TryGetValue(message.Sequence, out var received))
        {
            text += Invariant($", PUBREC {received}");
        }

        if (publisher.AcknowledgedAt.TryGetValue(message.Sequence, out var acknowledged))
        {
            text += Invariant($", {(publisher.QoS == QualityOfService.ExactlyOnce ? "PUBCOMP" : "PUBACK")} {acknowledged}");
        }

        return text;
    }

    private sealed record Row(
        SoakSubscriber Subscriber,
        IReadOnlyDictionary<SoakMessage, SoakArrival> Arrived,
        List<SoakMessage> Missing,
        List<KeyValuePair<SoakMessage, List<SoakArrival>>> Twice,
        int Qos1Duplicates,
        List<SoakMessage> Unknown);
}
