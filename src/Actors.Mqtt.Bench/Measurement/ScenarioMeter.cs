using System.Diagnostics;

namespace Actors.Mqtt.Bench.Measurement;

/// <summary>
/// CPU of the broker and of this load generator, and the broker's memory, over one scenario: read at its start and
/// end, the broker's RSS also sampled in between for its peak.
/// </summary>
public sealed class ScenarioMeter : IAsyncDisposable
{
    private static readonly TimeSpan SampleEvery = TimeSpan.FromMilliseconds(200);
    private readonly ProcessProbe? broker;
    private long started = Stopwatch.GetTimestamp();
    private double? brokerCpuAtStart;
    private TimeSpan ownCpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
    private MeterReading? load;
    private readonly CancellationTokenSource sampling = new();
    private readonly Task sampler;
    private long peakRss;

    public ScenarioMeter(ProcessProbe? broker)
    {
        this.broker = broker;
        brokerCpuAtStart = broker?.CpuSeconds();
        RssAtStart = broker?.RssBytes();
        peakRss = RssAtStart ?? 0;
        sampler = broker is null ? Task.CompletedTask : SampleAsync(broker, sampling.Token);
    }

    public long? RssAtStart { get; }

    /// <summary>The broker's RSS now, also taken into the peak.</summary>
    public long? RssNow()
    {
        var rss = broker?.RssBytes();
        if (rss is { } value)
        {
            InterlockedMax(value);
        }

        return rss;
    }

    /// <summary>
    /// Restarts the CPU and wall clocks when the load itself starts, so connecting and subscribing do not count
    /// in the CPU per message; memory keeps its start.
    /// </summary>
    public void BeginLoad()
    {
        brokerCpuAtStart = broker?.CpuSeconds();
        ownCpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
        started = Stopwatch.GetTimestamp();
    }

    /// <summary>Reads the clocks when the load ends, before the scenario closes its connections.</summary>
    public void EndLoad() => load = Read();

    /// <summary>Ends sampling; CPU is from <see cref="BeginLoad"/> to <see cref="EndLoad"/> when the scenario marked them.</summary>
    public async Task<MeterReading> StopAsync()
    {
        var reading = load ?? Read();
        await sampling.CancelAsync();
        await sampler;
        return reading with { RssPeakBytes = broker is null ? null : Interlocked.Read(ref peakRss) };
    }

    public async ValueTask DisposeAsync()
    {
        await sampling.CancelAsync();
        await sampler;
        sampling.Dispose();
    }

    private MeterReading Read()
    {
        var wall = Stopwatch.GetElapsedTime(started);
        var ownCpu = Process.GetCurrentProcess().TotalProcessorTime - ownCpuAtStart;
        var brokerCpu = broker?.CpuSeconds() - brokerCpuAtStart;
        var rssAtEnd = RssNow();
        return new MeterReading(wall.TotalSeconds, brokerCpu, ownCpu.TotalSeconds, RssAtStart, null, rssAtEnd);
    }

    private async Task SampleAsync(ProcessProbe probe, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(SampleEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (probe.RssBytes() is { } rss)
                {
                    InterlockedMax(rss);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Sampling ends with the scenario.
        }
    }

    private void InterlockedMax(long value)
    {
        var current = Interlocked.Read(ref peakRss);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref peakRss, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}

/// <param name="WallSeconds">Duration of the load (of the whole scenario when it marked no load phase).</param>
/// <param name="BrokerCpuSeconds">utime+stime the broker used meanwhile; null without a broker pid.</param>
/// <param name="GeneratorCpuSeconds">CPU this process used meanwhile.</param>
public sealed record MeterReading(
    double WallSeconds,
    double? BrokerCpuSeconds,
    double GeneratorCpuSeconds,
    long? RssStartBytes,
    long? RssPeakBytes,
    long? RssEndBytes);
