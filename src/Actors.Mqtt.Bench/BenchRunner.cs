using Actors.Mqtt.Bench.Measurement;
using Actors.Mqtt.Bench.Reporting;
using Actors.Mqtt.Bench.Scenarios;

namespace Actors.Mqtt.Bench;

/// <summary>Runs scenarios one after the other against one broker, each bounded by the time limit.</summary>
public static class BenchRunner
{
    public static async Task<IReadOnlyList<ScenarioResult>> RunAsync(
        BenchSettings settings,
        IReadOnlyList<IScenario> scenarios,
        TextWriter output,
        TextWriter progress,
        bool progressInPlace,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(scenarios);
        ArgumentNullException.ThrowIfNull(output);
        var probe = settings.BrokerPids.Count > 0 ? new ProcessProbe(settings.BrokerPids) : null;
        var results = new List<ScenarioResult>();
        foreach (var scenario in scenarios)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var runId = Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next()))[..6];
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var timeLimit = scenario.TimeLimit(settings);
            deadline.CancelAfter(timeLimit);
            await using var meter = new ScenarioMeter(probe);
            var context = new ScenarioContext(settings, runId, meter, deadline.Token);
            await output.WriteLineAsync($"[{settings.Label}] {scenario.Name}: {scenario.Description}");
            await using (new ProgressLine(progress, progressInPlace, $"[{settings.Label}] {scenario.Name}", () => context.Status()))
            {
                try
                {
                    await scenario.RunAsync(context);
                    if (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                    {
                        context.Fail($"time limit of {timeLimit.TotalSeconds:F0} s reached");
                    }
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    context.Fail($"time limit of {timeLimit.TotalSeconds:F0} s reached");
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    context.Fail($"{e.GetType().Name}: {e.Message}");
                }
            }

            var result = ResultBuilder.Build(scenario.Name, settings.Label, settings.IdleLimit, context.Outcome, await meter.StopAsync(), context.Errors);
            results.Add(result);
            await output.WriteLineAsync(HumanReport.Line(result));
        }

        return results;
    }
}
