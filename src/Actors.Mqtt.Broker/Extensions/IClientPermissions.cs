namespace Actors.Mqtt.Broker.Extensions;

/// <summary>
/// The rules one client's connection checks itself, without asking anybody, for every PUBLISH it reads, SUBSCRIBE it
/// is sent and message it is to deliver: an extension's answer to <see cref="PermissionsFor"/>, given once when the
/// client connects (HiveMQ's default permissions, EMQX's ACL claims). The ACL file is one (docs/extending.md).
/// </summary>
/// <remarks>
/// Called on the connection's thread, once per packet or delivery, so an implementation is immutable, answers from
/// memory and allocates nothing. A topic the per-topic extensions (<see cref="AuthorizeClient"/>) allowed or denied is
/// not checked here: these rules decide what they had no opinion on.
/// </remarks>
public interface IClientPermissions
{
    /// <summary>Whether the client may publish to <paramref name="topic"/> (a PUBLISH, and its will).</summary>
    bool MayPublish(string topic);

    /// <summary>Whether the client may subscribe to <paramref name="filter"/>, given without any <c>$share/group/</c>.</summary>
    bool MaySubscribe(string filter);

    /// <summary>Whether a message published to <paramref name="topic"/> may be delivered to the client, whatever
    /// subscription matched it.</summary>
    bool MayReceive(string topic);
}
