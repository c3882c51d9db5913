namespace Actors.Mqtt.Broker.Security;

/// <summary>The password and ACL files as loaded at start-up, each null when not configured.</summary>
public sealed record SecurityFiles(PasswordFile? Passwords, AclFile? Acl)
{
    /// <exception cref="SecurityFileException">A configured file cannot be read or has a wrong line.</exception>
    public static SecurityFiles Load(AuthSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new SecurityFiles(
            settings.PasswordFile is { } passwords ? PasswordFile.Load(passwords) : null,
            settings.AclFile is { } acl ? AclFile.Load(acl) : null);
    }
}
