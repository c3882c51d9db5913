using System.Diagnostics;
using Actors.Mqtt.Bench.Clients;
using Actors.Mqtt.Protocol;

namespace Actors.Mqtt.Bench.Scenarios;

/// <summary>
/// One QoS 0 publisher sending to subscribers of its topic that are already connected: the load phase and the
/// outcome that fan-out and slow-subscriber share. The readers are closed when it returns.
/// </summary>
internal static class OneToMany
{
    /// <param name="afterLoad">Runs once the load phase ended, before the connections close (to read the broker while
    /// they are still open).</param>
    public static async Task RunAsync(
        ScenarioContext context,
        string publisherRole,
        string topic,
        long messages,
        IReadOnlyList<ISubscriber> readers,
        string readersName,
        Action? afterLoad = null)
    {
        var settings = context.Settings;
        var outcome = context.Outcome;
        try
        {
            await using var publisher = await Publisher.ConnectAsync(settings.PublisherTarget(0), context.ClientId(publisherRole), new PublishTemplate(topic, QualityOfService.AtMostOnce, settings.PayloadSize), 0, 0, context.Deadline);
            long Received() => readers.Sum(s => s.Received);
            long Distinct() => readers.Sum(s => s.Distinct);
            context.Status = () => $"sent {publisher.Sent} of {messages}, delivered to {readersName}s {Received()} of {outcome.Expected}";
            foreach (var reader in readers)
            {
                reader.StartReading();
            }

            context.Meter.BeginLoad();

            var start = Stopwatch.GetTimestamp();
            try
            {
                await publisher.PublishAsync(messages, settings.IdleLimit, context.Deadline);
                await Completion.WaitAsync(() => Distinct() >= outcome.Expected, Received, settings.IdleLimit, context.Deadline);
            }
            finally
            {
                context.Meter.EndLoad();
                outcome.Sent = publisher.Sent;
                outcome.Delivered = Distinct();
                outcome.Duplicates = readers.Sum(s => s.Duplicates);
                outcome.MeasuredSeconds = Checks.Seconds(start, readers.Max(s => s.LastReceivedTicks));
                afterLoad?.Invoke();
                Checks.Closed(context, publisher.CloseReason, "publisher");
            }
        }
        finally
        {
            foreach (var reader in readers)
            {
                Checks.Closed(context, reader.CloseReason, readersName);
            }

            Checks.Foreign(context, readers.Sum(s => s.Foreign));
            await ConnectionSet.CloseAsync(readers);
        }
    }
}
