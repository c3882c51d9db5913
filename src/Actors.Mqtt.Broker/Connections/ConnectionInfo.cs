namespace Actors.Mqtt.Broker.Connections;

/// <summary>Who is on the other end of one network connection, as the server saw it when it accepted it.</summary>
/// <param name="ListenerName">The configured listener that accepted the connection (for example <c>tcp</c>).</param>
/// <param name="RemoteEndPoint">The client's address and port, for logs and audit.</param>
/// <param name="LocalEndPoint">The server's address and port the client connected to.</param>
public sealed record ConnectionInfo(string ListenerName, string RemoteEndPoint, string LocalEndPoint);
