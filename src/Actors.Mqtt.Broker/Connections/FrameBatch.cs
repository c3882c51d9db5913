using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Codec;

namespace Actors.Mqtt.Broker.Connections;

/// <summary>
/// The whole packets cut from one read of the socket, handed to the connection actor in one message
/// (docs/architecture.md, Backpressure and memory: batching frames before the actor is what makes the pipeline fast).
/// The frames are slices of memory owned by this batch. <see cref="Error"/> is set when the byte stream broke framing
/// after these frames.
/// </summary>
public sealed record FrameBatch(IReadOnlyList<MqttFrame> Frames, MqttError? Error);
