namespace Actors.Mqtt.Broker.Security;

/// <summary>What an ACL line grants; <see cref="Deny"/> takes a topic away from whatever else grants it.</summary>
[Flags]
public enum AclAccess
{
    Deny = 0,
    Read = 1,
    Write = 2,
    ReadWrite = Read | Write,
}
