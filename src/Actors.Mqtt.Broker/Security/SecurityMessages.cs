using Actors.Mqtt.Broker.Connections;
using Actors.Mqtt.Broker.Extensions;
using Actors.Mqtt.Protocol;
using Akka.Actor;

namespace Actors.Mqtt.Broker.Security;

/// <summary>A connection asks the <see cref="AuthenticationGate"/> whether its CONNECT may go on; the answer is
/// <see cref="ConnectAccepted"/> or <see cref="ConnectRefused"/>.</summary>
/// <param name="Password">A copy of the password bytes; never logged.</param>
public sealed record Authenticate(ConnectionInfo Connection, string ClientId, string? UserName, byte[]? Password, IActorRef ReplyTo, MqttProtocolVersion Version = MqttProtocolVersion.V311);

/// <summary>The client may connect, within <paramref name="Permissions"/>: null when nothing gave it rules.</summary>
public sealed record ConnectAccepted(IClientPermissions? Permissions);

public sealed record ConnectRefused(ReasonCode ReasonCode, string Reason);

/// <summary>The connection closed before its <see cref="Authenticate"/> was answered: its check, if still waiting, is dropped.</summary>
public sealed record AuthenticationAbandoned(IActorRef Connection);

/// <summary>Published on the event stream after the ACL file was loaded again; connections re-resolve their rules.</summary>
public sealed record AclChanged(AclFile? File, long Generation);

/// <summary>Published on the event stream to read the password and ACL files again (SIGHUP).</summary>
public sealed record ReloadSecurityFiles
{
    public static readonly ReloadSecurityFiles Instance = new();

    private ReloadSecurityFiles()
    {
    }
}

/// <summary>Published on the event stream after each attempt to reload a file; <paramref name="Problem"/> is null when it was applied.</summary>
public sealed record SecurityFileReloaded(string File, string? Problem);
