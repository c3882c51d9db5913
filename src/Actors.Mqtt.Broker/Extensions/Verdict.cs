using Actors.Mqtt.Protocol;

namespace Actors.Mqtt.Broker.Extensions;

/// <summary>
/// An extension's answer to a question: allow, deny with the reason code the client is told, or no opinion, which
/// passes the question to the next extension in the order of <c>actors-mqtt.extensions</c>.
/// </summary>
public abstract record Verdict
{
    public static Verdict Allow { get; } = new Allowed();

    public static Verdict NoOpinion { get; } = new Abstained();

    /// <summary>The answer to <see cref="PermissionsFor"/> that gives the client's rules; to any other question it is a
    /// plain <see cref="Allow"/>.</summary>
    public static Verdict AllowWith(IClientPermissions permissions)
    {
        ArgumentNullException.ThrowIfNull(permissions);
        return new Allowed { Permissions = permissions };
    }

    /// <param name="code">What the client is told: CONNACK's reason code for <see cref="AuthenticateClient"/> and <see cref="PermissionsFor"/> (for 3.1
    /// and 3.1.1 clients the nearest return code), the PUBACK, PUBREC or SUBACK reason code for <see cref="AuthorizeClient"/>.</param>
    /// <param name="reason">For the broker's log line; never sent to the client.</param>
    public static Verdict Deny(ReasonCode code, string reason) => new Denied(code, reason);

    private protected Verdict()
    {
    }
}

public sealed record Allowed : Verdict
{
    /// <summary>The password file's yes to a client whose user name nothing proved (there is no password file): the
    /// ACL gives it the anonymous rules, or those of its certificate's name.</summary>
    internal static Allowed Unproven { get; } = new() { UserNameUnproven = true };

    internal bool UserNameUnproven { get; private init; }

    /// <summary>The rules given with <see cref="Verdict.AllowWith"/>; null when the verdict gives none.</summary>
    public IClientPermissions? Permissions { get; internal init; }
}

public sealed record Abstained : Verdict;

public sealed record Denied(ReasonCode ReasonCode, string Reason) : Verdict;
