namespace Actors.Mqtt.Broker.Connections;

/// <summary>Who is on the other end of one network connection, as the server saw it when it accepted it.</summary>
/// <param name="ListenerName">The configured listener that accepted the connection (for example <c>tcp</c>).</param>
/// <param name="RemoteEndPoint">The client's address and port, for logs and audit.</param>
/// <param name="LocalEndPoint">The server's address and port the client connected to.</param>
/// <param name="CertificateIdentity">When the listener takes the user name from the client's TLS certificate
/// (<c>use-identity-as-username</c>), that certificate's common name; it replaces the user name of CONNECT.</param>
public sealed record ConnectionInfo(string ListenerName, string RemoteEndPoint, string LocalEndPoint, string? CertificateIdentity = null);
