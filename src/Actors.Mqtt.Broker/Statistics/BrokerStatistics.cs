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
/// costs a lookup in a small per-instrument dictionary and an interlocked add, as the exporter's own does; a histogram's
/// adds to its bucket (the boundaries its instrument advises, as the exporter's) and to its sum. A listener
/// hears the instruments of every broker in the process and only what is measured after it started: a process runs one
/// broker, and makes this before the broker's actors.
/// </remarks>
public sealed class BrokerStatistics : IDisposable
{
    private readonly MeterListener listener = new();
    private readonly ConcurrentDictionary<string, Series> instruments = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HistogramSeries> histograms = new(StringComparer.Ordinal);

    public BrokerStatistics()
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name != BrokerMetrics.MeterName)
            {
                return;
            }

            switch (instrument)
            {
                // The broker's histograms advise their boundaries, which the exporter uses too.
                case Histogram<double> { Advice.HistogramBucketBoundaries: { } boundaries }:
                    l.EnableMeasurementEvents(instrument, histograms.GetOrAdd(instrument.Name, _ => new HistogramSeries([.. boundaries])));
                    break;
                case Counter<long> or Counter<int> or UpDownCounter<long> or UpDownCounter<int> or ObservableInstrument<long> or ObservableInstrument<int>:
                    var observed = instrument is ObservableInstrument<int> or ObservableInstrument<long>;
                    var upDown = instrument is UpDownCounter<long> or UpDownCounter<int>;
                    l.EnableMeasurementEvents(instrument, instruments.GetOrAdd(instrument.Name, _ => new Series(observed, upDown)));
                    break;
            }
        };
        listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((Series)state!).Record(value, tags));
        listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((Series)state!).Record(value, tags));
        listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((HistogramSeries)state!).Record(value, tags));
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

    /// <summary>Each histogram's buckets and sum by label value, since the broker started.</summary>
    public Dictionary<string, Dictionary<string, HistogramReading>> ReadHistograms() =>
        histograms.ToDictionary(h => h.Key, h => h.Value.Read(), StringComparer.Ordinal);

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

    /// <summary>The buckets and sum of one histogram by label value. A value goes in the first bucket whose upper boundary
    /// it does not exceed (Prometheus's <c>le</c>, as the exporter counts), the last bucket holding those above every
    /// boundary.</summary>
    private sealed class HistogramSeries(double[] boundaries)
    {
        private readonly ConcurrentDictionary<string, Totals> values = new(StringComparer.Ordinal);

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var key = tags.Length == 0 ? string.Empty : tags[0].Value?.ToString() ?? string.Empty;
            var totals = values.GetOrAdd(key, _ => new Totals(boundaries.Length + 1));
            var index = Array.BinarySearch(boundaries, value);
            Interlocked.Increment(ref totals.Counts[index >= 0 ? index : ~index]);
            var sum = Volatile.Read(ref totals.Sum);
            while (true)
            {
                var seen = Interlocked.CompareExchange(ref totals.Sum, sum + value, sum);
                if (seen.Equals(sum))
                {
                    return;
                }

                sum = seen;
            }
        }

        public Dictionary<string, HistogramReading> Read() =>
            values.ToDictionary(v => v.Key, v => v.Value.Read(boundaries), StringComparer.Ordinal);

        private sealed class Totals(int buckets)
        {
            public readonly long[] Counts = new long[buckets];
            public double Sum;

            public HistogramReading Read(double[] boundaries)
            {
                var counts = new long[Counts.Length];
                for (var i = 0; i < counts.Length; i++)
                {
                    counts[i] = Interlocked.Read(ref Counts[i]);
                }

                return new HistogramReading(boundaries, counts, Volatile.Read(ref Sum));
            }
        }
    }
}

/// <summary>One histogram series read: how many measurements fell in each bucket (<paramref name="Counts"/>, one more
/// than <paramref name="Boundaries"/>: the last holds those above every boundary) and their sum.</summary>
public sealed record HistogramReading(IReadOnlyList<double> Boundaries, IReadOnlyList<long> Counts, double Sum)
{
    public long Count => Counts.Sum();

    public double Mean => Sum / Count;

    /// <summary>
    /// The <paramref name="q"/> quantile estimated as Prometheus's <c>histogram_quantile</c> does: the bucket it falls in
    /// is found by count, and the value interpolated linearly within that bucket (from 0 for the first). So it is
    /// approximate, by at most the width of its bucket; in the last bucket it is the highest boundary, a lower bound.
    /// A series is read only once it has a measurement.
    /// </summary>
    public double Quantile(double q)
    {
        var rank = q * Count;
        long below = 0;
        for (var i = 0; i < Counts.Count; i++)
        {
            if (Counts[i] > 0 && below + Counts[i] >= rank)
            {
                if (i == Boundaries.Count)
                {
                    return Boundaries[^1];
                }

                var lower = i == 0 ? 0 : Boundaries[i - 1];
                return lower + ((Boundaries[i] - lower) * (rank - below) / Counts[i]);
            }

            below += Counts[i];
        }

        throw new InvalidOperationException("a histogram series without measurements has no quantile");
    }
}
