using System.Text.Json.Serialization;

namespace Actors.Mqtt.Broker.Extensions.Http;

/// <summary>The JSON body posted to <c>authenticate-url</c>, with EMQX's field names.</summary>
/// <param name="Password">The password of CONNECT decoded as UTF-8 (bytes that are not UTF-8 become U+FFFD); null when
/// it had none.</param>
/// <param name="Peer">The client's address and port.</param>
/// <param name="Protocol">The MQTT protocol level: 3 for 3.1, 4 for 3.1.1, 5 for 5.0.</param>
internal sealed record AuthenticationRequest(
    [property: JsonPropertyName("clientid")] string ClientId,
    [property: JsonPropertyName("username")] string? UserName,
    [property: JsonPropertyName("password")] string? Password,
    [property: JsonPropertyName("listener")] string Listener,
    [property: JsonPropertyName("peer")] string Peer,
    [property: JsonPropertyName("protocol")] int Protocol)
{
    // Records print every property; this one must never show its password in a log line or a debugger.
    public override string ToString() => $"AuthenticationRequest {{ clientid = {ClientId}, username = {UserName} }}";
}

/// <summary>The JSON body posted to <c>authorize-url</c>.</summary>
/// <param name="Action"><c>publish</c> or <c>subscribe</c>.</param>
/// <param name="Topic">The topic of a PUBLISH, or the filter of a SUBSCRIBE.</param>
internal sealed record AuthorizationRequest(
    [property: JsonPropertyName("clientid")] string ClientId,
    [property: JsonPropertyName("username")] string? UserName,
    [property: JsonPropertyName("action")] string Action,
    [property: JsonPropertyName("topic")] string Topic,
    [property: JsonPropertyName("qos")] int QoS,
    [property: JsonPropertyName("retain")] bool Retain);
