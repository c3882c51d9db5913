using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Actors.Mqtt.Broker;

namespace Actors.Mqtt.Server.Operations;

/// <summary>
/// The broker's instruments (meter <see cref="BrokerMetrics.MeterName"/>) summed as <c>/metrics</c> sums them: one
/// running total per instrument and label value, from the same measurements the Prometheus exporter receives. The
/// status page reads these, so it never shows a number a scrape at the same moment would not.
/// </summary>
/// <remarks>
/// Every instrument of the broker has at most one label, so a series is keyed by that label's value alone. A measurement
/// costs a lookup in a small per-instrument dictionary and an interlocked add, as the exporter's own does.
/// </remarks>
internal sealed class BrokerTotals : IDisposable
{
    private readonly MeterListener listener = new();
    private readonly ConcurrentDictionary<string, Series> instruments = new(StringComparer.Ordinal);

    public BrokerTotals()
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == BrokerMetrics.MeterName)
            {
                var observed = instrument is ObservableInstrument<int> or ObservableInstrument<long>;
                l.EnableMeasurementEvents(instrument, instruments.GetOrAdd(instrument.Name, _ => new Series(observed)));
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

    public void Dispose() => listener.Dispose();

    /// <summary>The totals of one instrument by label value. An observable gauge's reading replaces the last; a counter's
    /// or up-down counter's measurement adds to it.</summary>
    private sealed class Series(bool observed)
    {
        private readonly ConcurrentDictionary<string, StrongBox<long>> values = new(StringComparer.Ordinal);

        public void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var key = tags.Length == 0 ? string.Empty : tags[0].Value?.ToString() ?? string.Empty;
            var total = values.GetOrAdd(key, static _ => new StrongBox<long>());
            if (observed)
            {
                Volatile.Write(ref total.Value, value);
            }
            else
            {
                Interlocked.Add(ref total.Value, value);
            }
        }

        public Dictionary<string, long> Read() =>
            values.ToDictionary(v => v.Key, v => Volatile.Read(ref v.Value.Value), StringComparer.Ordinal);
    }
}
