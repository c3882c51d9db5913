using System.Diagnostics;

namespace Actors.Mqtt.Bench.Reporting;

/// <summary>
/// A status line while a scenario runs: rewritten in place on a terminal, one line every few seconds when the
/// output goes to a file or a pipe (so logs stay readable).
/// </summary>
public sealed class ProgressLine : IAsyncDisposable
{
    private readonly TextWriter output;
    private readonly bool inPlace;
    private readonly string prefix;
    private readonly Func<string> status;
    private readonly long started = Stopwatch.GetTimestamp();
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;
    private int written;

    public ProgressLine(TextWriter output, bool inPlace, string prefix, Func<string> status)
    {
        this.output = output;
        this.inPlace = inPlace;
        this.prefix = prefix;
        this.status = status;
        loop = RunAsync(TimeSpan.FromSeconds(inPlace ? 0.5 : 5), stop.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await loop;
        if (inPlace && written > 0)
        {
            await output.WriteAsync("\r" + new string(' ', written) + "\r");
        }

        stop.Dispose();
    }

    private async Task RunAsync(TimeSpan every, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(every);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var text = $"{prefix} {Stopwatch.GetElapsedTime(started).TotalSeconds:F0}s: {status()}";
                if (inPlace)
                {
                    await output.WriteAsync("\r" + text.PadRight(written));
                    written = text.Length;
                }
                else
                {
                    await output.WriteLineAsync(text);
                }

                await output.FlushAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // The scenario ended.
        }
    }
}
