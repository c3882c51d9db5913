using Actors.Mqtt.Protocol;
using Akka.Actor;

namespace Actors.Mqtt.Broker.Extensions;

/// <summary>A question the broker asks the extensions that answer it, in their configured order, each within its
/// <c>timeout</c>; the answer is a <see cref="Verdict"/> told to the question's sender.</summary>
public abstract record ExtensionQuestion(ExtensionClient Client);

/// <summary>May this CONNECT go on? Asked before the password file, which is the last to answer.</summary>
/// <param name="Password">The password of CONNECT, a copy; never to be logged.</param>
/// <param name="CertificateIdentity">The common name of the client's TLS certificate, when the listener asked for
/// one and the client showed it.</param>
public sealed record AuthenticateClient(ExtensionClient Client, ReadOnlyMemory<byte>? Password, string? CertificateIdentity)
    : ExtensionQuestion(Client)
{
    /// <summary>The connection asking: a password check that waits may be dropped when it closes.</summary>
    internal IActorRef? Connection { get; init; }
}

/// <summary>What a client wants to do to a topic.</summary>
public enum ClientAction
{
    Publish,
    Subscribe,
}

/// <summary>May this client publish to <paramref name="Topic"/>, or subscribe to it as a filter? Asked before the ACL
/// file is consulted; a client's connection keeps the answer for <c>actors-mqtt.extension-cache.ttl</c>.</summary>
/// <param name="Topic">The topic name of a PUBLISH, or the filter of a SUBSCRIBE (without <c>$share/group/</c>).</param>
public sealed record AuthorizeClient(ExtensionClient Client, ClientAction Action, string Topic, QualityOfService QoS, bool Retain)
    : ExtensionQuestion(Client);

/// <summary>
/// Which rules does this client's connection check for itself? Asked once a CONNECT is allowed, before the ACL file,
/// which is the last to answer. <see cref="Verdict.AllowWith"/> gives the rules; <see cref="Verdict.Allow"/> lets the
/// client do all that the per-topic extensions do not deny; a denial refuses the CONNECT like an authentication's.
/// </summary>
/// <param name="CertificateIdentity">The common name of the client's TLS certificate, when it showed one.</param>
/// <param name="UserNameProven">False when the user name of CONNECT is only the client's word: there is no password
/// file and no extension that authenticated it. The ACL file then gives the client the rules of its certificate's name,
/// or the anonymous ones.</param>
public sealed record PermissionsFor(ExtensionClient Client, string? CertificateIdentity, bool UserNameProven)
    : ExtensionQuestion(Client);
