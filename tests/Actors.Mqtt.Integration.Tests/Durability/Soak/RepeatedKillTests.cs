using System.Diagnostics;
using System.Globalization;
using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Actors.Mqtt.Integration.Tests.Durability.Soak;

/// <summary>
/// The durability promise under repeated <c>kill -9</c> (issue 21): six publishers (three QoS 1, three QoS 2) at a
/// steady rate, four persistent QoS 2 subscribers (one of them leaves for a few seconds now and then), and the broker
/// killed at random moments and started again in the same folder on SQLite, while every client reconnects and resumes
/// its session as MQTT asks. Every message a publisher saw acknowledged must reach every subscriber, and a QoS 2
/// message must reach none of them twice. The seed draws the kill times and the absences; the interleaving of
/// packets is the machine's. <c>build.ps1 soak</c> runs it longer (see <see cref="SoakSettings"/>).
/// </summary>
[Collection(nameof(RunsAlone))]
public class RepeatedKillTests(ITestOutputHelper output)
{
    private const int Publishers = 6;
    private const int Subscribers = 4;

    /// <summary>Under the broker's default receive maximum of 100.</summary>
    private const int Window = 32;

    /// <summary>How long the publishers may take to finish their in-flight messages once the stream ended.</summary>
    private static readonly TimeSpan FinishBound = TimeSpan.FromMinutes(3);

    /// <summary>How long the subscribers may take to get every acknowledged message once the publishers finished.</summary>
    private static readonly TimeSpan DeliveryBound = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Every_acknowledged_message_reaches_every_subscriber_and_QoS_2_only_once_across_repeated_kill_9()
    {
        var settings = SoakSettings.FromEnvironment();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"soak seed {settings.Seed}: {settings.Minutes} min, {settings.Kills} kills, {settings.Rate} msg/s per publisher"));
        var random = new Random(settings.Seed);
        var killTimes = KillTimes(random, settings);
        var absences = Absences(random, settings);

        var folder = Directory.CreateTempSubdirectory("actors-mqtt-soak-");
        var broker = new BrokerProcess(
            folder.FullName,
            $"actors-mqtt.persistence.sqlite.path={Path.Combine(folder.FullName, "broker.db")}",
            // Kills and absences queue thousands of messages per session; the default limit of 1000 would refuse some.
            "actors-mqtt.limits.max-queued-messages=1000000");
        SoakReport report;
        try
        {
            report = await RunAsync(broker, settings, killTimes, absences);
        }
        catch (Exception e) when (e is not XunitException)
        {
            await broker.DisposeAsync();
            throw new XunitException($"soak seed {settings.Seed}: the run broke off (folder kept: {folder.FullName}): {e}\n{Tail(broker.Output)}");
        }

        await broker.DisposeAsync();
        output.WriteLine(report.Summary);
        if (settings.SummaryFile is { } file)
        {
            await File.AppendAllTextAsync(file, report.Summary + Environment.NewLine);
        }

        if (!report.Passed)
        {
            output.WriteLine(report.Details());
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "broker-output.log"), broker.Output);
            Assert.Fail($"{report.Details()}folder kept (broker.db, broker-output.log): {folder.FullName}\n{Tail(broker.Output)}");
        }

        folder.Delete(recursive: true);
    }

    private static async Task<SoakReport> RunAsync(BrokerProcess broker, SoakSettings settings, IReadOnlyList<long> killTimes, IReadOnlyList<SoakAbsence> absences)
    {
        await broker.StartAsync();
        var clock = Stopwatch.StartNew();
        var topic = $"soak/{Guid.NewGuid():N}";
        var subscribers = Enumerable.Range(0, Subscribers)
            .Select(i => new SoakSubscriber(i, i % 2 == 0 ? MqttProtocolVersion.V311 : MqttProtocolVersion.V500, topic + "/#", clock))
            .ToList();
        using var stopSubscribers = new CancellationTokenSource();
        var subscribing = subscribers.Select(s => Task.Run(() => s.RunAsync(() => broker.EndPoint, stopSubscribers.Token))).ToList();
        await Task.WhenAll(subscribers.Select(s => s.Subscribed)).WaitAsync(TimeSpan.FromSeconds(60));

        var publishers = Enumerable.Range(0, Publishers)
            .Select(i => new SoakPublisher(
                i,
                i < Publishers / 2 ? QualityOfService.AtLeastOnce : QualityOfService.ExactlyOnce,
                i % 2 == 0 ? MqttProtocolVersion.V311 : MqttProtocolVersion.V500,
                $"{topic}/p{i}",
                settings.Rate,
                Window,
                clock))
            .ToList();
        using var stopNew = new CancellationTokenSource();
        using var giveUp = new CancellationTokenSource();
        var start = clock.ElapsedMilliseconds;
        var publishing = publishers.Select(p => Task.Run(() => p.RunAsync(() => broker.EndPoint, stopNew.Token, giveUp.Token))).ToList();
        var killing = Task.Run(() => KillAsync(broker, clock, killTimes.Select(t => start + t)));
        var leaving = Task.Run(() => LeaveAsync(subscribers[^1], clock, absences.Select(a => new SoakAbsence(start + a.From, start + a.Until))));

        await Until(clock, start + (long)settings.Publishing.TotalMilliseconds);
        stopNew.Cancel();
        var kills = await killing;
        await leaving;
        giveUp.CancelAfter(FinishBound);
        await Task.WhenAll(publishing);

        var required = SoakReport.Required(publishers);
        var deadline = clock.Elapsed + DeliveryBound;
        while (!subscribers.All(s => s.HasAll(required)) && clock.Elapsed < deadline)
        {
            await Task.Delay(500);
        }

        // A second copy can trail the last first one; look a little longer before counting.
        await Task.Delay(TimeSpan.FromSeconds(2));
        await stopSubscribers.CancelAsync();
        await Task.WhenAll(subscribing);
        return new SoakReport(settings, publishers, subscribers, kills, [.. absences.Select(a => new SoakAbsence(start + a.From, start + a.Until))]);
    }

    /// <summary>The kills, at random moments of the stream from its first second on, in order.</summary>
    private static List<long> KillTimes(Random random, SoakSettings settings)
    {
        var span = settings.Publishing.TotalMilliseconds - 1000;
        return [.. Enumerable.Range(0, settings.Kills).Select(_ => 1000 + (long)(random.NextDouble() * span)).Order()];
    }

    /// <summary>When the offline subscriber leaves and for how long: 2-6 s away after 3-15 s online.</summary>
    private static List<SoakAbsence> Absences(Random random, SoakSettings settings)
    {
        var absences = new List<SoakAbsence>();
        var at = (long)random.Next(2000, 12_000);
        while (at < settings.Publishing.TotalMilliseconds)
        {
            var until = at + random.Next(2000, 6000);
            absences.Add(new SoakAbsence(at, until));
            at = until + random.Next(3000, 15_000);
        }

        return absences;
    }

    /// <summary>Kills the broker at each time (or as soon as it is up again, if a restart ran past it) and starts it
    /// again in the same folder.</summary>
    private static async Task<List<SoakKill>> KillAsync(BrokerProcess broker, Stopwatch clock, IEnumerable<long> times)
    {
        var kills = new List<SoakKill>();
        foreach (var time in times)
        {
            await Until(clock, time);
            var killedAt = clock.ElapsedMilliseconds;
            await broker.KillAsync();
            await broker.StartAsync();
            kills.Add(new SoakKill(killedAt, clock.ElapsedMilliseconds, broker.EndPoint.Port));
        }

        return kills;
    }

    private static async Task LeaveAsync(SoakSubscriber subscriber, Stopwatch clock, IEnumerable<SoakAbsence> absences)
    {
        foreach (var absence in absences)
        {
            await Until(clock, absence.From);
            subscriber.GoOffline(TimeSpan.FromMilliseconds(absence.Until - absence.From));
        }
    }

    private static async Task Until(Stopwatch clock, long at)
    {
        var wait = at - clock.ElapsedMilliseconds;
        if (wait > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(wait));
        }
    }

    private static string Tail(string brokerOutput)
    {
        var lines = brokerOutput.Split('\n');
        return $"broker output, last {Math.Min(lines.Length, 80)} of {lines.Length} lines:\n{string.Join('\n', lines.TakeLast(80))}";
    }
}
