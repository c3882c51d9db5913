using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
namespace Actors.Mqtt.Broker.Statistics;

/// <summary>
/// The broker's instruments (meter <see cref="BrokerMetrics.MeterName"/>) summed as <c>/metrics</c> sums them: one
/// running total per instrument and label value, from the same measurements the Prometheus exporter receives. The
/// status page and the <c>$SYS</c> topics read these, so neither shows a number a scrape at the same moment would not.
/// </summary>
/// <remarks>
/// Every instrument of the broker has at most one label, so a series is keyed by that label's value alone. A measurement
/// costs a lookup in a small per-instrument dictionary and an interlocked add, as the exporter's own does. A listener
/// hears the instruments of every broker in the process and only what is measured after it started: a process runs one
/// broker, and makes this before the broker's actors.
/// </remarks>
public sealed class BrokerStatistics : IDisposable
{
    private readonly MeterListener listener = new();
    private readonly ConcurrentDictionary<string, Series> instruments = new(StringComparer.Ordinal);

    public BrokerStatistics()
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == BrokerMetrics.MeterName)
            {
                var observed = instrument is ObservableInstrument<int> or ObservableInstrument<long>;
                var upDown = instrument is UpDownCounter<long> or UpDownCounter<int>;
                l.EnableMeasurementEvents(instrument, instruments.GetOrAdd(instrument.Name, _ => new Series(observed, upDown)));
            }
        };
        listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((Series)state!).Record(value, tags));
        listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((Series)state!).Record(value, tags));
        listener.Start();
    }

    /// <summary>Each instrument's totals by label value (an empty string for an instrument without labels), gauges read
    /// now.</summary>
    public Dictionary<string, Dictionary<string, long>> Read()
    {
        lock (listener)
        {
            // Observable gauges report only when asked; one reader at a time, so a reading is not half of two.
            listener.RecordObservableInstruments();
            return instruments.ToDictionary(i => i.Key, i => i.Value.Read(), StringComparer.Ordinal);
        }
    }

    /// <summary>The highest total an up-down counter's series without labels reached (the most clients connected at
    /// once, for one); 0 for an instrument never measured.</summary>
    public long Peak(string instrument) => instruments.TryGetValue(instrument, out var series) ? series.Peak : 0;

    /// <summary>The sum of an instrument's series in a <see cref="Read"/>; 0 for one never measured.</summary>
    public static long Sum(Dictionary<string, Dictionary<string, long>> reading, string instrument) =>
        reading.TryGetValue(instrument, out var series) ? series.Values.Sum() : 0;

    public void Dispose() => listener.Dispose();

    /// <summary>The totals of one instrument by label value. An observable gauge's reading replaces the last; a counter's
    /// or up-down counter's measurement adds to it, and an up-down counter's highest total is kept.</summary>
    private sealed class Series(bool observed, bool upDown)
    {
        private readonly ConcurrentDictionary<string, StrongBox<long>> values = new(StringComparer.Ordinal);
        private long peak;

        public long Peak => Volatile.Read(ref peak);

        public void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var key = tags.Length == 0 ? string.Empty : tags[0].Value?.ToString() ?? string.Empty;
            var total = values.GetOrAdd(key, static _ => new StrongBox<long>());
            if (observed)
            {
                Volatile.Write(ref total.Value, value);
            }
            else if (upDown)
            {
                RaisePeak(Interlocked.Add(ref total.Value, value));
            }
            else
            {
                Interlocked.Add(ref total.Value, value);
            }
        }

        private void RaisePeak(long reached)
        {
            var highest = Volatile.Read(ref peak);
            while (reached > highest)
            {
                var seen = Interlocked.CompareExchange(ref peak, reached, highest);
                if (seen == highest)
                {
                    return;
                }

                highest = seen;
            }
        }

        public Dictionary<string, long> Read() =>
            values.ToDictionary(v => v.Key, v => Volatile.Read(ref v.Value.Value), StringComparer.Ordinal);
    }
}
