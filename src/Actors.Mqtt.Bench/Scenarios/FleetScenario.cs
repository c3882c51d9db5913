using System.Diagnostics;
using Actors.Mqtt.Bench.Clients;
using Actors.Mqtt.Bench.Measurement;
using Actors.Mqtt.Protocol;

namespace Actors.Mqtt.Bench.Scenarios;

/// <summary>
/// What an IoT fleet at rest costs the broker (issue 20): 15,000 devices, each publishing one QoS 1 message of 100 bytes
/// every 15 s to <c>DEVICE/telemetry</c>, about 1,000 msg/s in all, their sends spread evenly over the interval; one
/// backend of two MQTTnet members (MQTT 5) sharing <c>$share/GROUP/+/telemetry</c> at QoS 1; four rounds, 60 s. Reported:
/// the broker's CPU and RSS, PUBLISH-to-PUBACK latency, and every message delivered. Below scale 1 the interval shrinks
/// with the number of devices (down to scale 0.01), so the rate stays the same.
/// </summary>
public sealed class FleetScenario : IScenario
{
    private const int Devices = 15_000;
    private const int Rounds = 4;
    private const int PayloadBytes = 100;
    private const int ConnectConcurrency = 64;
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    public string Name => "fleet";

    public string Description => $"{Devices} devices, one QoS 1 message of {PayloadBytes} bytes each every {Interval.TotalSeconds:0} s, read by a shared subscription of 2 members; broker CPU, RSS, PUBACK latency";

    public TimeSpan TimeLimit(BenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.TimeLimit + (Rounds * IntervalAt(settings));
    }

    public async Task RunAsync(ScenarioContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Settings;
        var outcome = context.Outcome;
        var devices = settings.Scaled(Devices, 2);
        var interval = IntervalAt(settings);
        var latency = new LatencyRecorder();
        outcome.Expected = (long)devices * Rounds;
        outcome.RequireAll = true;
        outcome.Connections = devices + 2;
        outcome.Notes.Add($"{devices} devices, one message each every {interval.TotalSeconds:0.##} s ({devices / interval.TotalSeconds:N0} msg/s), {Rounds} rounds; latency is PUBLISH to PUBACK");

        var group = context.ClientId("g");
        var tallies = new[] { new PayloadTally(devices, Rounds), new PayloadTally(devices, Rounds) };
        var backend = await ConnectionSet.OpenAsync(
            2,
            2,
            i => MqttNetSubscriber.ConnectAsync(settings.SubscriberTarget(i), context.ClientId($"fb{i}"), $"$share/{group}/+/telemetry", QualityOfService.AtLeastOnce, tallies[i], context.Deadline, MqttProtocolVersion.V500),
            context.Deadline);
        FleetDevice[] fleet = [];
        try
        {
            fleet = await ConnectionSet.OpenAsync(
                devices,
                ConnectConcurrency,
                i => FleetDevice.ConnectAsync(
                    settings.PublisherTarget(i),
                    context.ClientId($"fd{i}"),
                    new PublishTemplate($"{context.FirstLevel("dev", i)}/telemetry", QualityOfService.AtLeastOnce, PayloadBytes),
                    i,
                    Rounds,
                    latency,
                    context.Deadline),
                context.Deadline);
            long Acknowledged() => fleet.Sum(d => d.Acknowledged);
            long Delivered() => tallies.Sum(t => t.Distinct);
            var sent = 0L;
            context.Status = () => $"sent {Interlocked.Read(ref sent)} of {outcome.Expected}, acknowledged {Acknowledged()}, delivered {Delivered()}";
            context.Meter.BeginLoad();
            var start = Stopwatch.GetTimestamp();

            // Device i sends round r as message r * devices + i of the schedule: evenly spread, every device once per
            // interval.
            var schedule = new SendSchedule(start, devices / interval.TotalSeconds);
            try
            {
                for (var k = 0L; k < outcome.Expected; k++)
                {
                    var sentAt = await schedule.WaitAsync(k, context.Deadline);
                    await fleet[k % devices].PublishAsync((int)(k / devices), sentAt, context.Deadline);
                    Interlocked.Increment(ref sent);
                }

                await Completion.WaitAsync(
                    () => Acknowledged() >= outcome.Expected && Delivered() >= outcome.Expected,
                    () => Acknowledged() + tallies.Sum(t => t.Received),
                    settings.IdleLimit,
                    context.Deadline);
            }
            finally
            {
                context.Meter.EndLoad();
                outcome.Sent = Interlocked.Read(ref sent);
                outcome.Acknowledged = Acknowledged();
                outcome.Delivered = Delivered();
                outcome.Duplicates = tallies.Sum(t => t.Duplicates);
                outcome.MeasuredSeconds = Checks.Seconds(start, tallies.Max(t => t.LastReceivedTicks));
                outcome.Latency = latency.Summarize();
                outcome.Notes.Add(schedule.Note());
                outcome.Notes.Add($"members' shares: {string.Join(" / ", tallies.Select(t => t.Distinct))}");
            }
        }
        finally
        {
            foreach (var device in fleet)
            {
                Checks.Closed(context, device.CloseReason, "device");
            }

            foreach (var member in backend)
            {
                Checks.Closed(context, member.CloseReason, "backend member");
            }

            Checks.Foreign(context, tallies.Sum(t => t.Foreign));
            await Task.WhenAll(ConnectionSet.CloseAsync(fleet), ConnectionSet.CloseAsync(backend));
        }
    }

    private static TimeSpan IntervalAt(BenchSettings settings) => Interval * Math.Clamp(settings.Scale, 0.01, 1.0);
}
