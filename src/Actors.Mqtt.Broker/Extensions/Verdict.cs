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

    /// <param name="code">What the client is told: CONNACK's reason code for <see cref="AuthenticateClient"/> (for 3.1
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
}

public sealed record Abstained : Verdict;

public sealed record Denied(ReasonCode ReasonCode, string Reason) : Verdict;
