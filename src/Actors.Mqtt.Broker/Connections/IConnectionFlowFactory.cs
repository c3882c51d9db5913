using Akka;
using Akka.Streams.Dsl;

namespace Actors.Mqtt.Broker.Connections;

/// <summary>
/// The one thing the server asks of the broker: for each accepted connection, a flow that turns the bytes the
/// client sends into the bytes the client should receive. The broker never sees a socket, so the same flow serves
/// TCP, TLS and WebSocket listeners, and tests can drive it without any network.
/// </summary>
public interface IConnectionFlowFactory
{
    /// <summary>Creates the flow for one connection; it is materialized once, by the server, for that connection.</summary>
    /// <remarks>
    /// Inbound elements are arbitrary slices of the byte stream (not aligned to MQTT packets) and are owned by the
    /// flow: the server never reuses their memory. The flow completes its output when the MQTT connection ends;
    /// the server then closes the socket. If the client goes away first, the flow's input completes (or fails) and
    /// its output is cancelled. When the server shuts down, the flow's input completes and the server waits (up to
    /// the host's shutdown timeout) for the flow to complete its output.
    /// </remarks>
    Flow<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>, NotUsed> Create(ConnectionInfo connection);
}
