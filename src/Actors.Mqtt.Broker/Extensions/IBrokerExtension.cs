using Akka.Actor;
using Akka.Configuration;

namespace Actors.Mqtt.Broker.Extensions;

/// <summary>
/// What an extension assembly exports: the class named by an entry of <c>actors-mqtt.extensions</c> (its <c>type</c>),
/// made with its parameterless constructor once at start-up. The broker starts the actor it describes under a
/// supervisor that restarts it when it throws or stops (docs/extending.md).
/// </summary>
public interface IBrokerExtension
{
    /// <summary>The questions the extension's actor answers with the configuration it is given; it gets every broker
    /// event whatever this says. Asked, with <see cref="Props"/>, when the configuration is read: an exception thrown by
    /// either stops start-up, reported at the entry's <c>config</c>.</summary>
    ExtensionQuestions Answers(ExtensionContext context);

    /// <summary>The extension's actor: it receives the <see cref="BrokerEvent"/> records and, for each question it answers,
    /// <see cref="AuthenticateClient"/>, <see cref="AuthorizeClient"/> or <see cref="PermissionsFor"/>, to be answered to its sender with a <see cref="Verdict"/>.</summary>
    Props Props(ExtensionContext context);
}

/// <summary>The questions an extension answers.</summary>
[Flags]
public enum ExtensionQuestions
{
    None = 0,

    /// <summary>Whether a CONNECT may go on: <see cref="AuthenticateClient"/>.</summary>
    Authenticate = 1,

    /// <summary>Whether a client may publish to a topic or subscribe to a filter: <see cref="AuthorizeClient"/>.</summary>
    Authorize = 2,

    /// <summary>The rules an allowed client's connection checks inline for all it publishes, subscribes to and is
    /// delivered: <see cref="PermissionsFor"/>.</summary>
    Permissions = 4,
}

/// <summary>What the broker gives an extension to make its actor with.</summary>
/// <param name="Name">The entry's <c>name</c>, unique among the extensions; its actor's name.</param>
/// <param name="Config">The entry's <c>config</c> block, empty when it has none.</param>
public sealed record ExtensionContext(string Name, Config Config);
