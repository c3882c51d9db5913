using System.Diagnostics;
using System.Globalization;
using Actors.Mqtt.Bench.Clients;
using Actors.Mqtt.Protocol;

namespace Actors.Mqtt.Bench.Scenarios;

/// <summary>
/// A cluster node killed with SIGKILL under a steady QoS 1 stream. Persistent subscribers on the node to be killed (the
/// first --port) and on the next one, the publisher on a third; after a warm-up the tool kills the node (--kill-pid),
/// and every client whose connection ends connects again, same client id and session, to the remaining nodes in turn.
/// Reports the failover time (from the kill until every subscriber received a message published after it), the
/// messages the publisher had acknowledged, and lost ones (acknowledged, never received: must be none) and duplicates.
/// </summary>
public sealed class ClusterFailoverScenario : IScenario
{
    private const int SubscribersPerNode = 2;
    private const int MaximumRate = 200;

    // Published before the kill, and again after every subscriber is back: 5 s each at 200 msg/s.
    private const int SteadyMessages = 1_000;

    // Moving a dead node's sessions takes the split brain resolver's stable-after and a journal replay: wait longer
    // for the last messages than other scenarios.
    private static readonly TimeSpan MinimumSettleLimit = TimeSpan.FromSeconds(30);

    public string Name => ScenarioCatalog.ClusterFailover;

    public string Description => "kill -9 of the node at the first --port under a steady QoS 1 stream, persistent subscribers there and on the next node, publisher on a third; failover time, acknowledged, lost (must be 0), duplicates";

    public async Task RunAsync(ScenarioContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Settings;
        var outcome = context.Outcome;
        if (settings.KillPid is not { } killPid || settings.Targets.Count < 3)
        {
            context.Fail($"{Name} needs --kill-pid and three --port values");
            return;
        }

        var rate = Math.Min(settings.Rate, MaximumRate);
        long steady = settings.Scaled(SteadyMessages);
        var capacity = (int)Math.Min(int.MaxValue - 1, ((long)rate * (long)settings.TimeLimit.TotalSeconds) + 1);
        var topic = context.Topic(Name);
        var survivors = settings.Targets.Skip(1).ToArray();
        var killed = settings.Targets[0];
        outcome.RequireAll = true;
        outcome.Connections = (2 * SubscribersPerNode) + 1;
        outcome.Notes.Add(string.Create(CultureInfo.InvariantCulture, $"{rate} msg/s; kill -9 of pid {killPid} (port {killed.Port}) after {steady} messages"));

        var subscribers = new List<FailoverSubscriber>();
        await using var publisher = new FailoverPublisher(context.ClientId("fop"), new PublishTemplate(topic, QualityOfService.AtLeastOnce, settings.PayloadSize), capacity, survivors);
        try
        {
            for (var i = 0; i < 2 * SubscribersPerNode; i++)
            {
                // Those of the node that is killed come back on the others in turn, the rest on their own node first.
                IReadOnlyList<System.Net.IPEndPoint> fallbacks = i < SubscribersPerNode ? survivors : [.. survivors.Skip(i % survivors.Length), .. survivors.Take(i % survivors.Length)];
                var subscriber = new FailoverSubscriber(context.ClientId($"fos{i}"), topic, capacity, fallbacks);
                subscribers.Add(subscriber);
                await subscriber.StartAsync(i < SubscribersPerNode ? killed : settings.Targets[1], context.Deadline);
            }

            await publisher.StartAsync(settings.Targets[2], context.Deadline);
            long Received() => subscribers.Sum(s => s.Received);
            var next = 0L;
            context.Status = () => $"sent {publisher.Sent} (message {Interlocked.Read(ref next)}), acknowledged {publisher.Acknowledged}, received {Received()}";
            context.Meter.BeginLoad();
            var start = Stopwatch.GetTimestamp();
            var killedAt = 0L;
            var backAt = 0L;
            try
            {
                for (var k = 0L; k < capacity; k = Interlocked.Increment(ref next))
                {
                    var due = start + (long)(k * (double)Stopwatch.Frequency / rate);
                    while (Stopwatch.GetTimestamp() < due)
                    {
                        await Task.Delay(1, context.Deadline);
                    }

                    if (k == steady)
                    {
                        foreach (var subscriber in subscribers)
                        {
                            subscriber.Watch(k);
                        }

                        killedAt = Stopwatch.GetTimestamp();
                        using var node = Process.GetProcessById(killPid);
                        node.Kill();
                    }

                    if (killedAt != 0 && backAt == 0 && subscribers.All(s => s.FirstWatchedTicks != 0))
                    {
                        backAt = k;
                    }

                    if (backAt != 0 && k >= backAt + steady)
                    {
                        break;
                    }

                    await publisher.PublishAsync(k, Stopwatch.GetTimestamp(), context.Deadline);
                }

                await Completion.WaitAsync(() => publisher.InFlight == 0, () => publisher.Acknowledged, settings.IdleLimit, context.Deadline);
                var settle = settings.IdleLimit > MinimumSettleLimit ? settings.IdleLimit : MinimumSettleLimit;
                await Completion.WaitAsync(() => subscribers.All(s => Missing(s, publisher, capacity) == 0), Received, settle, context.Deadline);
            }
            finally
            {
                context.Meter.EndLoad();
                Report(context, publisher, subscribers, capacity, killedAt, start);
            }
        }
        finally
        {
            foreach (var subscriber in subscribers)
            {
                await subscriber.DisposeAsync();
            }

            await EndSessionsAsync(context, survivors[0], subscribers);
        }
    }

    private static long Missing(FailoverSubscriber subscriber, FailoverPublisher publisher, int capacity)
    {
        var missing = 0L;
        for (var k = 0L; k < capacity; k++)
        {
            if (publisher.IsAcknowledged(k) && !subscriber.Has(k))
            {
                missing++;
            }
        }

        return missing;
    }

    private static void Report(ScenarioContext context, FailoverPublisher publisher, List<FailoverSubscriber> subscribers, int capacity, long killedAt, long start)
    {
        var outcome = context.Outcome;
        var acknowledged = publisher.Acknowledged;
        var c = CultureInfo.InvariantCulture;
        outcome.Sent = publisher.Sent;
        outcome.Acknowledged = acknowledged;
        outcome.Expected = acknowledged * subscribers.Count;
        outcome.Delivered = outcome.Expected - subscribers.Sum(s => Missing(s, publisher, capacity));
        outcome.Duplicates = subscribers.Sum(s => s.Duplicates);
        outcome.MeasuredSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        outcome.Notes.Add(string.Create(c, $"publisher: sent {publisher.Sent}, acknowledged {acknowledged}, not sent while disconnected {publisher.Unsent}, reconnected {publisher.Reconnects} times"));
        if (killedAt == 0)
        {
            context.Fail("the node was never killed: the scenario ended before its warm-up did");
            return;
        }

        var back = subscribers.Select(s => s.FirstWatchedTicks).ToList();
        if (back.All(t => t != 0))
        {
            outcome.FailoverSeconds = back.Max(t => Stopwatch.GetElapsedTime(killedAt, t).TotalSeconds);
        }
        else
        {
            context.Fail($"{back.Count(t => t == 0)} subscriber(s) never received a message published after the kill");
        }

        for (var i = 0; i < subscribers.Count; i++)
        {
            var s = subscribers[i];
            var where = i < SubscribersPerNode ? "on the killed node" : "on another node";
            var first = s.FirstWatchedTicks == 0 ? "never" : string.Create(c, $"{Stopwatch.GetElapsedTime(killedAt, s.FirstWatchedTicks).TotalSeconds:F2} s");
            outcome.Notes.Add(string.Create(c, $"subscriber {i} ({where}): first message after the kill at {first}, {s.Distinct} distinct received (acknowledged or not), {s.Duplicates} dup, reconnected {s.Reconnects} times"));
        }

        Checks.Foreign(context, subscribers.Sum(s => s.Foreign));
    }

    /// <summary>A clean-session connect under each subscriber's client id discards its session.</summary>
    private static async Task EndSessionsAsync(ScenarioContext context, System.Net.IPEndPoint target, List<FailoverSubscriber> subscribers)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        foreach (var subscriber in subscribers)
        {
            try
            {
                await using var cleanup = await RawMqttConnection.ConnectAsync(target, subscriber.ClientId, deadline.Token, cleanSession: true);
                await cleanup.DisconnectAsync();
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
            {
                context.Fail($"could not end the session of {subscriber.ClientId}: {e.Message}");
            }
        }
    }
}
