using Actors.Mqtt.Broker.Extensions;
using Actors.Mqtt.Protocol.Topics;

namespace Actors.Mqtt.Broker.Security;

/// <summary>
/// The ACL rules of one client with its patterns resolved, made once per connection (and again after a reload) so
/// that each PUBLISH, SUBSCRIBE and delivery is checked against a short list without allocating: the ACL file's
/// answer to <see cref="PermissionsFor"/>.
/// </summary>
/// <remarks>
/// A deny rule wins over every grant. A topic is readable or writable when a grant with that access matches it.
/// Mosquitto (2.0) grants every SUBSCRIBE and checks read access on each delivery only. Here deliveries are checked
/// the same way, and a SUBSCRIBE is refused when it could never deliver anything: when a deny rule covers every topic
/// its filter matches, or no read grant shares a single topic with it. So <c>#</c> under <c>topic read a/#</c> is
/// granted (and carries only <c>a/...</c>), while <c>b/#</c> is refused and the client is told.
/// </remarks>
public sealed class ClientAcl : IClientPermissions
{
    private readonly List<string> denied = [];
    private readonly List<string> readable = [];
    private readonly List<string> writable = [];

    internal ClientAcl(AclFile file, string clientId, string? user, long generation)
    {
        ClientId = clientId;
        UserName = user;
        Generation = generation;
        foreach (var rule in file.TopicRulesFor(user))
        {
            Add(rule.Access, rule.Filter);
        }

        foreach (var rule in file.Patterns)
        {
            if (Substitute(rule, clientId, user) is { } filter)
            {
                Add(rule.Access, filter);
            }
        }
    }

    public string ClientId { get; }

    /// <summary>The user name the rules are those of; null for the anonymous rules.</summary>
    public string? UserName { get; }

    /// <summary>Which load of the ACL file the rules come from: a connection resolves them again from a newer one.</summary>
    internal long Generation { get; }

    public bool MayPublish(string topic) => !MatchesAny(denied, topic) && MatchesAny(writable, topic);

    public bool MayReceive(string topic) => !MatchesAny(denied, topic) && MatchesAny(readable, topic);

    /// <param name="filter">The filter proper, without any <c>$share/group/</c> prefix.</param>
    public bool MaySubscribe(string filter)
    {
        foreach (var deny in denied)
        {
            if (Covers(deny, filter))
            {
                return false;
            }
        }

        foreach (var grant in readable)
        {
            if (Overlaps(grant, filter))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when some topic name is matched by both filters.</summary>
    public static bool Overlaps(string first, string second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        var a = first.Split('/');
        var b = second.Split('/');
        for (var i = 0; ; i++)
        {
            if (i == a.Length || i == b.Length)
            {
                // "x/#" also matches "x", so a filter that ends where the other has a last "#" level still meets it.
                return (i == a.Length && i == b.Length)
                    || (i == a.Length && i == b.Length - 1 && b[i] == "#")
                    || (i == b.Length && i == a.Length - 1 && a[i] == "#");
            }

            var wildA = a[i] is "+" or "#";
            var wildB = b[i] is "+" or "#";
            if (i == 0 && ((wildA && b[i].StartsWith('$')) || (wildB && a[i].StartsWith('$'))))
            {
                return false;
            }

            if (a[i] == "#" || b[i] == "#")
            {
                return true;
            }

            if (!wildA && !wildB && a[i] != b[i])
            {
                return false;
            }
        }
    }

    /// <summary>True when every topic <paramref name="filter"/> can match is also matched by <paramref name="rule"/>.</summary>
    public static bool Covers(string rule, string filter)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(filter);
        var ruleLevels = rule.Split('/');
        var filterLevels = filter.Split('/');
        for (var i = 0; i < ruleLevels.Length; i++)
        {
            var level = ruleLevels[i];

            // A wildcard first level never reaches the server's $ topics (MQTT-4.7.2-1), in an ACL as in a subscription.
            var dollar = i == 0 && filter.StartsWith('$');
            if (level == "#")
            {
                return !dollar;
            }

            if (i >= filterLevels.Length || filterLevels[i] == "#")
            {
                return false;
            }

            if (level == "+" ? dollar : level != filterLevels[i])
            {
                return false;
            }
        }

        return ruleLevels.Length == filterLevels.Length;
    }

    private static bool MatchesAny(List<string> filters, string topic)
    {
        foreach (var filter in filters)
        {
            if (TopicMatcher.Matches(filter, topic))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Replaces whole <c>%c</c> and <c>%u</c> levels. A grant whose value would itself be a wildcard or span levels
    /// is dropped, so a client id such as <c>#</c> cannot widen it; a deny rule keeps such a level as <c>+</c>,
    /// denying more rather than less.
    /// </summary>
    private static string? Substitute(AclRule rule, string clientId, string? user)
    {
        var levels = rule.Filter.Split('/');
        for (var i = 0; i < levels.Length; i++)
        {
            var value = levels[i] switch
            {
                "%c" => clientId,
                "%u" => user ?? string.Empty,
                _ => null,
            };
            if (value is null)
            {
                continue;
            }

            if (levels[i] == "%u" && user is null)
            {
                return null;
            }

            if (value.AsSpan().IndexOfAny("+#/") >= 0)
            {
                if (rule.Access != AclAccess.Deny)
                {
                    return null;
                }

                value = "+";
            }

            levels[i] = value;
        }

        return string.Join('/', levels);
    }

    private void Add(AclAccess access, string filter)
    {
        if (access == AclAccess.Deny)
        {
            denied.Add(filter);
            return;
        }

        if (access.HasFlag(AclAccess.Read))
        {
            readable.Add(filter);
        }

        if (access.HasFlag(AclAccess.Write))
        {
            writable.Add(filter);
        }
    }
}
