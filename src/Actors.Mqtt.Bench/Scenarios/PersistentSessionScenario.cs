using System.Buffers;
using System.Diagnostics;
using System.Net;
using Actors.Mqtt.Bench.Clients;
using Actors.Mqtt.Bench.Measurement;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Actors.Mqtt.Bench.Scenarios;

/// <summary>
/// A subscriber with a persistent session (MQTT 5, clean start off, session expiry set) subscribes at QoS 1 and
/// goes offline; N QoS 1 messages are published and acknowledged; the subscriber comes back and drains its queue.
/// Every message must arrive. MQTTnet on both sides: here a correct client matters more than a fast one.
/// </summary>
public sealed class PersistentSessionScenario : IScenario
{
    private const int PublishWindow = 32;
    private const uint SessionExpirySeconds = 600;
    private const int SocketBufferBytes = 1024 * 1024;

    // Draining a queue stalls while the broker reads it back: wait longer than other scenarios before giving up.
    private static readonly TimeSpan MinimumDrainIdleLimit = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(30);

    public string Name => "persistent-qos1";

    public string Description => "offline subscriber with a persistent session, N QoS 1 messages queued, reconnect and drain; every message counted";

    public async Task RunAsync(ScenarioContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var settings = context.Settings;
        var outcome = context.Outcome;
        var messages = settings.Scaled(20_000);
        var topic = context.Topic(Name);
        var subscriberId = context.ClientId("pss");
        outcome.Expected = messages;
        outcome.RequireAll = true;
        outcome.Connections = 2;

        var factory = new MqttClientFactory();
        using var subscriber = factory.CreateMqttClient();
        var counter = new SequenceTally(messages);
        subscriber.ApplicationMessageReceivedAsync += e =>
        {
            CountDrained(counter, e.ApplicationMessage.Payload);
            return Task.CompletedTask;
        };
        var subscriberOptions = Build(Options(settings.SubscriberTarget(0), subscriberId)
            .WithCleanStart(false)
            .WithSessionExpiryInterval(SessionExpirySeconds));

        context.Status = () => "subscribing";
        await subscriber.ConnectAsync(subscriberOptions, context.Deadline);
        await subscriber.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(topic, MqttQualityOfServiceLevel.AtLeastOnce).Build(), context.Deadline);
        await subscriber.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), context.Deadline);

        try
        {
            context.Meter.BeginLoad();
            var published = await PublishAsync(context, topic, messages);
            outcome.Sent = published;
            if (context.Meter.RssNow() is { } queuedRss)
            {
                outcome.Notes.Add($"broker RSS with {published} messages queued: {queuedRss / (1024 * 1024)} MiB");
            }

            context.Status = () => $"draining: received {counter.Distinct} of {messages}";
            var start = Stopwatch.GetTimestamp();
            var reconnect = await subscriber.ConnectAsync(subscriberOptions, context.Deadline);
            if (!reconnect.IsSessionPresent)
            {
                context.Fail("the broker did not keep the session: CONNACK had session present = 0 on reconnect");
            }

            await Completion.WaitAsync(() => counter.Distinct >= messages, () => counter.Received, settings.IdleLimit > MinimumDrainIdleLimit ? settings.IdleLimit : MinimumDrainIdleLimit, context.Deadline);
            outcome.MeasuredSeconds = Checks.Seconds(start, counter.LastReceivedTicks);
        }
        finally
        {
            context.Meter.EndLoad();
            outcome.Delivered = counter.Distinct;
            outcome.Duplicates = counter.Duplicates;
            Checks.Foreign(context, counter.Foreign);
            await EndSessionAsync(subscriber, subscriberOptions);
        }
    }

    private static MqttClientOptionsBuilder Options(IPEndPoint target, string clientId) =>
        new MqttClientOptionsBuilder()
            .WithTcpServer(target.Address.ToString(), target.Port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(clientId)
            .WithTimeout(ClientTimeout);

    /// <summary>
    /// MQTTnet sets its sockets' buffers to 8 KiB by default. On loopback (MSS 64 KiB) a receive window that small makes
    /// Linux hold back window updates until a whole MSS is free, so a sender that filled the window waits for its
    /// zero-window probes, whose timer backs off: drains stalled for 8-17 s now and then, with the broker's bytes sitting
    /// in its socket's send queue. A larger buffer keeps window scaling on, as an unconfigured socket has it.
    /// </summary>
    private static MqttClientOptions Build(MqttClientOptionsBuilder builder)
    {
        var options = builder.Build();
        ((MqttClientTcpOptions)options.ChannelOptions).BufferSize = SocketBufferBytes;
        return options;
    }

    /// <summary>Publishes QoS 1 with a window of concurrent PublishAsync calls; returns how many the broker acknowledged.</summary>
    private static async Task<long> PublishAsync(ScenarioContext context, string topic, int messages)
    {
        using var publisher = new MqttClientFactory().CreateMqttClient();
        await publisher.ConnectAsync(Build(Options(context.Settings.PublisherTarget(0), context.ClientId("psp")).WithCleanStart(true)), context.Deadline);
        var acknowledged = 0L;
        var refused = 0L;
        context.Status = () => $"queueing: {Interlocked.Read(ref acknowledged)} of {messages} acknowledged";
        var start = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(
            Enumerable.Range(0, messages),
            new ParallelOptions { MaxDegreeOfParallelism = PublishWindow, CancellationToken = context.Deadline },
            async (i, cancellationToken) =>
            {
                var payload = new byte[context.Settings.PayloadSize];
                new Payload(i, Stopwatch.GetTimestamp(), 0).WriteTo(payload);
                var message = new MqttApplicationMessageBuilder()
                    .WithTopic(topic)
                    .WithPayload(payload)
                    .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                    .Build();
                var result = await publisher.PublishAsync(message, cancellationToken);
                Interlocked.Increment(ref result.IsSuccess ? ref acknowledged : ref refused);
            });
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        context.Outcome.Notes.Add($"queued at {acknowledged / seconds:F0} msg/s");
        if (refused > 0)
        {
            context.Fail($"the broker refused {refused} QoS 1 PUBLISH (PUBACK with an error reason code)");
        }

        await publisher.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), CancellationToken.None);
        return acknowledged;
    }

    /// <summary>Leaves no session behind: reconnect if need be and disconnect with session expiry 0.</summary>
    private static async Task EndSessionAsync(IMqttClient subscriber, MqttClientOptions options)
    {
        using var deadline = new CancellationTokenSource(ClientTimeout);
        try
        {
            if (!subscriber.IsConnected)
            {
                await subscriber.ConnectAsync(options, deadline.Token);
            }

            await subscriber.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithSessionExpiryInterval(0).Build(), deadline.Token);
        }
        catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException)
        {
            // Best effort: the session then expires by itself after SessionExpirySeconds.
        }
    }

    /// <summary>A drained message, by its sequence number; MQTTnet calls it from one task at a time.</summary>
    private static void CountDrained(SequenceTally counter, ReadOnlySequence<byte> bytes)
    {
        counter.Arrived();
        var head = bytes.Length >= Payload.HeaderSize ? bytes.Slice(0, Payload.HeaderSize).ToArray() : [];
        if (Payload.TryRead(head, out var payload))
        {
            counter.Mark(payload.Sequence);
        }
        else
        {
            counter.MarkForeign();
        }
    }
}
