namespace Actors.Mqtt.Broker.Connections;

/// <summary>
/// What the inbound side of a connection's stream tells its actor (Sink.ActorRefWithAck): the stream is ready,
/// it ended, or it failed. The actor answers every element and the init signal with <see cref="InboundAck"/>,
/// and withholding that answer is how the connection stops reading its socket.
/// </summary>
public sealed record InboundInit
{
    public static readonly InboundInit Instance = new();

    private InboundInit()
    {
    }
}

public sealed record InboundAck
{
    public static readonly InboundAck Instance = new();

    private InboundAck()
    {
    }
}

public sealed record InboundCompleted
{
    public static readonly InboundCompleted Instance = new();

    private InboundCompleted()
    {
    }
}

public sealed record InboundFailed(Exception Cause);
