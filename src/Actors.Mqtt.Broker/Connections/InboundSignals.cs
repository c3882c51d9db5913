using Akka.Event;

namespace Actors.Mqtt.Broker.Connections;

/// <summary>
/// What the inbound side of a connection's stream tells its actor (<see cref="ConnectionStage"/>) besides the frames:
/// it ended, or it failed. The actor answers the stream's <see cref="StreamReady"/> and every frame batch with
/// <see cref="InboundAck"/>, and withholding that answer is how the connection stops reading its socket. A connection actor stops as soon as
/// it closes, so the stream's last signals may find it gone: that is expected, not a dead letter worth a log line.
/// </summary>
public sealed record InboundAck : IDeadLetterSuppression
{
    public static readonly InboundAck Instance = new();

    private InboundAck()
    {
    }
}

public sealed record InboundCompleted : IDeadLetterSuppression
{
    public static readonly InboundCompleted Instance = new();

    private InboundCompleted()
    {
    }
}

public sealed record InboundFailed(Exception Cause) : IDeadLetterSuppression;
