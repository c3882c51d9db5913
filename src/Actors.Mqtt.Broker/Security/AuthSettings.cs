namespace Actors.Mqtt.Broker.Security;

/// <summary>The <c>actors-mqtt.auth</c> keys, and each listener's <c>allow-anonymous</c> override.</summary>
/// <param name="PasswordFile">Path of a <c>mosquitto_passwd</c> file, or null when usernames are not checked.</param>
/// <param name="AclFile">Path of a Mosquitto ACL file, or null when every client may use every topic.</param>
public sealed record AuthSettings(bool AllowAnonymous, string? PasswordFile, string? AclFile)
{
    public static AuthSettings Open { get; } = new(true, null, null);

    /// <summary>Listener name to its own <c>allow-anonymous</c>, for the listeners that set one.</summary>
    public IReadOnlyDictionary<string, bool> ListenerAllowAnonymous { get; init; } = new Dictionary<string, bool>();

    public bool AllowsAnonymousOn(string listener) =>
        ListenerAllowAnonymous.TryGetValue(listener, out var allowed) ? allowed : AllowAnonymous;
}
