using Actors.Mqtt.Broker.Routing;

namespace Actors.Mqtt.Broker.Persistence;

/// <summary>
/// What the broker must know of a journaled session without starting it: the subscriptions the topic trees route by,
/// and when it must be woken to publish its will or expire (docs/architecture.md, "Sleeping sessions").
/// </summary>
/// <param name="ExpiryInterval">Seconds the session outlives its connection; <see cref="uint.MaxValue"/> is never.</param>
/// <param name="WillDelay">Seconds the will waits after the connection is lost; null when there is no will.</param>
/// <param name="DetachedAt">When the session lost its connection; null while a connection holds it.</param>
/// <param name="Node">The cluster node the session lives on (host:port), so that its node's death can be told.</param>
public sealed record SessionIndexEntry(
    string ClientId,
    IReadOnlyList<Subscription> Subscriptions,
    uint ExpiryInterval,
    uint? WillDelay,
    DateTimeOffset? DetachedAt,
    string Node)
{
    /// <summary>When the session must run next without its client: its will's delay or its expiry, whichever comes first.</summary>
    public DateTimeOffset? Deadline
    {
        get
        {
            if (DetachedAt is not { } since)
            {
                return null;
            }

            if (WillDelay is { } delay)
            {
                return since + TimeSpan.FromSeconds(Math.Min(delay, ExpiryInterval));
            }

            return ExpiryInterval == uint.MaxValue ? null : since + TimeSpan.FromSeconds(ExpiryInterval);
        }
    }
}
