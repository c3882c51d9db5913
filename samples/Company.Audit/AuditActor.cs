using System.Text.Json;
using Actors.Mqtt.Broker.Extensions;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Topics;
using Akka.Actor;

namespace Company.Audit;

/// <summary>
/// Appends a JSON line for each event and each denial, flushed at once so that a crash loses no line; answers
/// <see cref="AuthorizeClient"/> for the deny-topic. One actor writes the file, so lines never interleave.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "An actor releases what it holds in PostStop, not in Dispose.")]
public sealed class AuditActor : ReceiveActor
{
    private readonly AuditSettings settings;
    private StreamWriter? file;

    public AuditActor(AuditSettings settings)
    {
        this.settings = settings;
        Receive<BrokerEvent>(e => Write(Line(e)));
        Receive<AuthorizeClient>(Authorize);
    }

    public static Props Props(AuditSettings settings) => Akka.Actor.Props.Create(() => new AuditActor(settings));

    protected override void PreStart()
    {
        // Opened here, not in the constructor: a file that cannot be opened stops the actor, and the broker's
        // supervisor tries again after a pause instead of at once.
        var stream = new FileStream(settings.File, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        file = new StreamWriter(stream) { AutoFlush = true };
    }

    protected override void PostStop() => file?.Dispose();

    private void Authorize(AuthorizeClient question)
    {
        // A SUBSCRIBE's filter is denied when it lies within the deny-topic (secret/+ within secret/#); a wider one
        // (#) is granted, and gets nothing from there because every PUBLISH to it is denied.
        if (settings.DenyTopic is { } deny && TopicMatcher.Matches(deny, question.Topic))
        {
            Write(new { time = DateTimeOffset.UtcNow, @event = "denied", client = question.Client.ClientId, action = question.Action.ToString(), topic = question.Topic });
            Sender.Tell(Verdict.Deny(ReasonCode.NotAuthorized, $"{question.Topic} is within {deny}"));
        }
        else
        {
            Sender.Tell(Verdict.NoOpinion);
        }
    }

    /// <summary>What a line says of an event: never the payload, which may be anything, only its length.</summary>
    private static object Line(BrokerEvent e) => e switch
    {
        ClientConnected c => new { time = c.Time, @event = "connected", client = c.Client.ClientId, user = c.Client.UserName, listener = c.Client.Listener, remote = c.Client.RemoteEndPoint },
        ClientDisconnected d => new { time = d.Time, @event = "disconnected", client = d.Client.ClientId, reason = d.Reason },
        MessagePublished p => new { time = p.Time, @event = "published", client = p.ClientId, topic = p.Topic, qos = (int)p.QoS, retain = p.Retain, bytes = p.Payload.Length },
        ClientSubscribed s => new { time = s.Time, @event = "subscribed", client = s.ClientId, filter = s.Filter, qos = (int)s.QoS },
        ClientUnsubscribed u => new { time = u.Time, @event = "unsubscribed", client = u.ClientId, filter = u.Filter },
        SessionExpired x => new { time = x.Time, @event = "session-expired", client = x.ClientId },
        MessageDropped m => new { time = m.Time, @event = "dropped", client = m.ClientId, topic = m.Topic, reason = m.Reason },
        // An event of a later broker version than this sample knows.
        _ => new { time = e.Time, @event = e.GetType().Name },
    };

    private void Write(object line) => file!.WriteLine(JsonSerializer.Serialize(line));
}
