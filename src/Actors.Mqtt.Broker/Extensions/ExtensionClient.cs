using Actors.Mqtt.Protocol;

namespace Actors.Mqtt.Broker.Extensions;

/// <summary>The client an event or a question is about, as the broker knows it.</summary>
/// <param name="UserName">The user name of CONNECT, or the client certificate's name where the listener takes it from
/// there (<c>use-identity-as-username</c>); null when there is none.</param>
/// <param name="Listener">The name of the listener that accepted the connection, such as <c>tcp</c>.</param>
/// <param name="RemoteEndPoint">The client's address and port; empty for a session's own events (expiry) or a bridge.</param>
public sealed record ExtensionClient(string ClientId, string? UserName, string Listener, string RemoteEndPoint, MqttProtocolVersion ProtocolVersion);
