using System.Diagnostics;
using System.Globalization;
using Actors.Mqtt.Bench.Clients;
using Actors.Mqtt.Bench.Measurement;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Bench.Scenarios;

/// <summary>
/// What a fleet of persistent sessions costs the broker (issue 22), in two runs of the tool with a broker restart
/// between them, chosen with --fleet-phase. Device i is client id <c>&lt;fleet-id&gt;-i</c> (MQTT 3.1.1, clean session 0)
/// subscribed at QoS 1 to <c>&lt;fleet-id&gt;/i/cmd</c>; --fleet-id is the same in both runs, so the second finds the
/// sessions of the first.
/// <list type="bullet">
/// <item><see cref="FleetPhase.Create"/>: every device connects, subscribes and disconnects, a few at a time; then one
/// publisher sends each device's topic one QoS 1 message, so every offline session holds one queued message. Sessions
/// created per second, and the broker's RSS per offline session once its RSS is stable.</item>
/// <item><see cref="FleetPhase.Reconnect"/>: every device connects again at once (bounded as the connection storm is),
/// must find its session (session present = 1) and receive its message, and stays connected until all did.
/// Connections per second; a message missing is a failure. --fleet-reconnect brings back only the first devices, for a
/// fleet larger than the sockets one process may open.</item>
/// </list>
/// </summary>
public sealed class PersistentFleetScenario : IScenario
{
    private const int Devices = 5_000;
    private const int CreateConcurrency = 16;
    private const int ReconnectConcurrency = 64;
    private const int PublishWindow = 64;

    // Only CONNACK, SUBACK and one PUBLISH reach a device: a small first read buffer keeps 18,000 of them in 72 MiB.
    private const int DeviceBufferBytes = 4 * 1024;

    // Two RSS samples this close, this far apart, count as stable: the broker has finished what the load set off.
    private const double RssStableWithin = 0.01;
    private static readonly TimeSpan RssSampleEvery = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan RssSettleLimit = TimeSpan.FromSeconds(10);

    // A broker may read sessions back from its store as their devices return: wait longer than other scenarios.
    private static readonly TimeSpan MinimumDeliveryIdleLimit = TimeSpan.FromSeconds(10);

    public string Name => ScenarioCatalog.PersistentFleet;

    public string Description => $"persistent sessions ({Devices} at scale 1; MQTT 3.1.1, clean session 0): --fleet-phase create subscribes each to its QoS 1 topic, disconnects and queues one message per session; reconnect brings every device back at once and counts session present and every queued message";

    public Task RunAsync(ScenarioContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Settings.FleetPhase == FleetPhase.Create ? CreateAsync(context) : ReconnectAsync(context);
    }

    private static string DeviceId(BenchSettings settings, int device) => string.Create(CultureInfo.InvariantCulture, $"{settings.FleetId}-{device}");

    private static string Topic(BenchSettings settings, int device) => string.Create(CultureInfo.InvariantCulture, $"{settings.FleetId}/{device}/cmd");

    private static async Task CreateAsync(ScenarioContext context)
    {
        var settings = context.Settings;
        var outcome = context.Outcome;
        var count = settings.Scaled(Devices);
        outcome.Expected = count;
        outcome.RequireAll = true;

        var rssBefore = context.Meter.RssNow();
        var created = 0L;
        context.Status = () => $"created {Interlocked.Read(ref created)} of {count} sessions";
        context.Meter.BeginLoad();
        var start = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(
            Enumerable.Range(0, count),
            new ParallelOptions { MaxDegreeOfParallelism = CreateConcurrency, CancellationToken = context.Deadline },
            async (i, cancellationToken) =>
            {
                var device = await RawMqttConnection.ConnectAsync(settings.PublisherTarget(i), DeviceId(settings, i), cancellationToken, cleanSession: false, bufferSize: DeviceBufferBytes);
                try
                {
                    // A session kept from an earlier run may hold messages that would come before the SUBACK.
                    if (device.SessionPresent)
                    {
                        throw new IOException($"the broker already had a session for {DeviceId(settings, i)}: create a fleet on a fresh broker, or with another --fleet-id");
                    }

                    await device.SubscribeAsync(Topic(settings, i), QualityOfService.AtLeastOnce, cancellationToken);
                }
                finally
                {
                    await device.DisconnectAsync();
                }

                Interlocked.Increment(ref created);
            });
        var createSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        outcome.Connections = CreateConcurrency;
        outcome.ConnectRate = count / createSeconds;
        outcome.Notes.Add(string.Create(CultureInfo.InvariantCulture, $"{count} sessions created {CreateConcurrency} at a time in {createSeconds:F1} s"));

        var queueStart = Stopwatch.GetTimestamp();
        outcome.Sent = count;
        outcome.Delivered = await QueueAsync(context, count);
        var queueSeconds = Stopwatch.GetElapsedTime(queueStart).TotalSeconds;
        outcome.MeasuredSeconds = queueSeconds;
        outcome.Notes.Add(string.Create(CultureInfo.InvariantCulture, $"{outcome.Delivered} messages queued (PUBACK received) at {outcome.Delivered / queueSeconds:F0} msg/s"));
        context.Meter.EndLoad();

        context.Status = () => "waiting for the broker's RSS to settle";
        if (rssBefore is { } before && await SettledRssAsync(context) is var (after, stable))
        {
            outcome.RssSettledBytes = after;
            outcome.RssPerSessionBytes = (after - before) / count;
            if (!stable)
            {
                outcome.Notes.Add($"broker RSS still moving more than {RssStableWithin:P0} per {RssSampleEvery.TotalMilliseconds:F0} ms after {RssSettleLimit.TotalSeconds:F0} s: read then");
            }
        }
    }

    /// <summary>One publisher sends one QoS 1 message to every device's topic; returns how many the broker acknowledged.</summary>
    private static async Task<long> QueueAsync(ScenarioContext context, int count)
    {
        var settings = context.Settings;
        using var window = new SemaphoreSlim(PublishWindow);
        var acknowledged = 0L;
        using var reading = new CancellationTokenSource();
        var publisher = await RawMqttConnection.ConnectAsync(settings.PublisherTarget(0), $"{settings.FleetId}-pub", context.Deadline);
        var readLoop = publisher.ReadLoopAsync(
            packet =>
            {
                if (packet is PubAckPacket)
                {
                    Interlocked.Increment(ref acknowledged);
                    window.Release();
                }
            },
            acknowledge: false,
            reading.Token);
        try
        {
            context.Status = () => $"queueing: {Interlocked.Read(ref acknowledged)} of {count} acknowledged";
            var payload = new byte[settings.PayloadSize];
            for (var i = 0; i < count; i++)
            {
                await window.WaitAsync(context.Deadline);
                new Payload(i, Stopwatch.GetTimestamp(), 0).WriteTo(payload);
                var message = new PublishPacket
                {
                    Topic = Topic(settings, i),
                    QoS = QualityOfService.AtLeastOnce,
                    PacketId = (ushort)((i % ushort.MaxValue) + 1),
                    Payload = payload,
                };
                await publisher.SendPacketAsync(message, context.Deadline);
            }

            await Completion.WaitAsync(() => Interlocked.Read(ref acknowledged) >= count, () => Interlocked.Read(ref acknowledged), settings.IdleLimit, context.Deadline);
        }
        finally
        {
            await reading.CancelAsync();
            await publisher.DisconnectAsync();
            Checks.Closed(context, await readLoop, "publisher");
        }

        return Interlocked.Read(ref acknowledged);
    }

    /// <summary>The broker's RSS once two samples <see cref="RssSampleEvery"/> apart differ by less than 1 %, or the last
    /// one after <see cref="RssSettleLimit"/>; null without a broker pid.</summary>
    private static async Task<(long Rss, bool Stable)?> SettledRssAsync(ScenarioContext context)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(RssSettleLimit.TotalSeconds * Stopwatch.Frequency);
        if (context.Meter.RssNow() is not { } previous)
        {
            return null;
        }

        while (Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(RssSampleEvery, context.Deadline);
            if (context.Meter.RssNow() is not { } current)
            {
                return null;
            }

            if (Math.Abs(current - previous) <= previous * RssStableWithin)
            {
                return (current, true);
            }

            previous = current;
        }

        return (previous, false);
    }

    private static async Task ReconnectAsync(ScenarioContext context)
    {
        var settings = context.Settings;
        var outcome = context.Outcome;
        var fleet = settings.Scaled(Devices);
        var count = Math.Min(settings.FleetReconnect ?? fleet, fleet);
        outcome.Expected = count;
        outcome.Sent = count;
        outcome.RequireAll = true;
        if (count < fleet)
        {
            outcome.Notes.Add(string.Create(CultureInfo.InvariantCulture, $"{count} of the fleet's {fleet} devices reconnect (--fleet-reconnect)"));
        }

        var counter = new SequenceTally(count);
        var connected = 0L;
        var withoutSession = 0L;
        context.Status = () => $"connected {Interlocked.Read(ref connected)} of {count}, {counter.Distinct} messages received";
        using var reading = new CancellationTokenSource();
        context.Meter.BeginLoad();
        var start = Stopwatch.GetTimestamp();
        var devices = await ConnectionSet.OpenAsync(
            count,
            ReconnectConcurrency,
            async i =>
            {
                var connection = await RawMqttConnection.ConnectAsync(settings.PublisherTarget(i), DeviceId(settings, i), context.Deadline, cleanSession: false, bufferSize: DeviceBufferBytes);
                if (!connection.SessionPresent)
                {
                    Interlocked.Increment(ref withoutSession);
                }

                Interlocked.Increment(ref connected);
                return new Device(connection, connection.ReadLoopAsync(packet => CountDelivered(counter, settings, i, packet), acknowledge: true, reading.Token));
            },
            context.Deadline);
        try
        {
            var connectSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            outcome.Connections = devices.Length;
            outcome.ConnectRate = devices.Length / connectSeconds;
            outcome.Notes.Add(string.Create(CultureInfo.InvariantCulture, $"{devices.Length} devices reconnected {ReconnectConcurrency} at a time in {connectSeconds:F1} s"));

            // A device that found no session has no message coming: waiting for it would only wait out the idle limit.
            var absent = Interlocked.Read(ref withoutSession);
            await Completion.WaitAsync(() => counter.Distinct >= count - absent, () => counter.Received, settings.IdleLimit > MinimumDeliveryIdleLimit ? settings.IdleLimit : MinimumDeliveryIdleLimit, context.Deadline);
            outcome.MeasuredSeconds = Checks.Seconds(start, counter.LastReceivedTicks);
            if (absent > 0)
            {
                context.Fail($"{absent} of {count} devices got session present = 0: the broker did not keep their sessions");
            }

            context.Meter.EndLoad();
            if (context.Meter.RssNow() is { } rss)
            {
                outcome.Notes.Add($"broker RSS with all {devices.Length} devices connected: {rss / (1024 * 1024)} MiB");
            }
        }
        finally
        {
            outcome.Delivered = counter.Distinct;
            outcome.Duplicates = counter.Duplicates;
            Checks.Foreign(context, counter.Foreign);
            context.Status = () => $"closing {count} connections";
            await reading.CancelAsync();
            var closeReasons = await Task.WhenAll(devices.Select(d => d.CloseAsync()));
            var dropped = closeReasons.Count(r => r is not null);
            if (dropped > 0)
            {
                context.Fail($"the broker closed {dropped} device connection(s), e.g. {closeReasons.First(r => r is not null)}");
            }
        }
    }

    /// <summary>A reconnected device: its connection and the loop that reads (and acknowledges) what the broker sends.</summary>
    private sealed class Device(RawMqttConnection connection, Task<string?> readLoop) : IAsyncDisposable
    {
        /// <summary>Ends the read loop's wait (the caller cancels it first), disconnects, and returns why the broker had
        /// ended the connection before, or null.</summary>
        public async Task<string?> CloseAsync()
        {
            var reason = await readLoop;
            await connection.DisconnectAsync();
            return reason;
        }

        public ValueTask DisposeAsync() => connection.DisposeAsync();
    }

    /// <summary>
    /// Counts each device's queued message once: the PUBLISH must come on the device's own connection, on its own topic,
    /// carrying its number. Each device's read loop marks only its own number.
    /// </summary>
    private static void CountDelivered(SequenceTally counter, BenchSettings settings, int device, MqttPacket packet)
    {
        if (packet is not PublishPacket publish)
        {
            return;
        }

        counter.Arrived();
        if (publish.Topic != Topic(settings, device) || !Payload.TryRead(publish.Payload.Span, out var payload) || payload.Sequence != device)
        {
            counter.MarkForeign();
            return;
        }

        counter.Mark(device);
    }
}
