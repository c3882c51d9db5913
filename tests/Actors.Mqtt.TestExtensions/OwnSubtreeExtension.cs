using Actors.Mqtt.Broker.Extensions;
using Actors.Mqtt.Broker.Security;
using Actors.Mqtt.Protocol.Topics;
using Akka.Actor;

namespace Actors.Mqtt.TestExtensions;

/// <summary>
/// Gives each client the rules of a device registry that keeps every device to its own subtree,
/// <c>config.root/CLIENT-ID/#</c>: it publishes there only, subscribes only to filters that can match something there,
/// and is delivered only what was published there. Rules given once at CONNECT, checked by the connection.
/// </summary>
public sealed class OwnSubtreeExtension : IBrokerExtension
{
    public ExtensionQuestions Answers(ExtensionContext context) => ExtensionQuestions.Permissions;

    public Props Props(ExtensionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var root = context.Config.GetString("root") ?? throw new ArgumentException("config.root: the topic level above each device's subtree");
        return Akka.Actor.Props.Create(() => new RegistryActor(root));
    }

    private sealed class RegistryActor : ReceiveActor
    {
        public RegistryActor(string root) =>
            Receive<PermissionsFor>(question => Sender.Tell(Verdict.AllowWith(new Subtree($"{root}/{question.Client.ClientId}/#"))));
    }

    private sealed class Subtree(string own) : IClientPermissions
    {
        public bool MayPublish(string topic) => TopicMatcher.Matches(own, topic);

        public bool MaySubscribe(string filter) => ClientAcl.Overlaps(own, filter);

        public bool MayReceive(string topic) => TopicMatcher.Matches(own, topic);
    }
}
