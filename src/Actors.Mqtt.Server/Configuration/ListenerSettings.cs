using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Actors.Mqtt.Server.Configuration;

/// <summary>How a listener carries MQTT.</summary>
public enum ListenerKind
{
    /// <summary>MQTT over plain TCP.</summary>
    Tcp,

    /// <summary>MQTT over TLS.</summary>
    Tls,

    /// <summary>MQTT over WebSocket (HTTP upgrade, sub-protocol <c>mqtt</c>).</summary>
    Ws,

    /// <summary>MQTT over WebSocket over TLS.</summary>
    Wss,
}

/// <summary>One enabled listener.</summary>
/// <param name="Name">Its key under <c>actors-mqtt.listeners</c>, carried into every connection's info.</param>
/// <param name="Path">The HTTP path WebSocket clients connect to; null for TCP and TLS.</param>
/// <param name="Tls">Certificates and client authentication; null for TCP and WS.</param>
public sealed record ListenerSettings(string Name, ListenerKind Kind, IPEndPoint EndPoint, string? Path, TlsSettings? Tls)
{
    /// <summary>Connections open at once on this listener; 0 is no limit.</summary>
    public int MaxConnections { get; init; }
}

/// <summary>The TLS side of a TLS or WSS listener.</summary>
/// <param name="Certificate">The server's certificate, with its private key.</param>
/// <param name="ClientCertificateAuthorities">The CAs a client certificate must chain to; null trusts the system's roots.</param>
/// <param name="RequireClientCertificate">Refuse the handshake of a client without a valid certificate.</param>
/// <param name="UseIdentityAsUsername">The client certificate's common name becomes the MQTT user name.</param>
public sealed record TlsSettings(
    X509Certificate2 Certificate,
    X509Certificate2Collection? ClientCertificateAuthorities,
    bool RequireClientCertificate,
    bool UseIdentityAsUsername);
