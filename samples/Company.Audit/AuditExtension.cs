using Actors.Mqtt.Broker.Extensions;
using Akka.Actor;

namespace Company.Audit;

/// <summary>
/// An audit trail: one JSON line per broker event in <c>config.file</c>, and no to any client that would publish to,
/// or subscribe within, <c>config.deny-topic</c>. Configured as
/// <code>
/// actors-mqtt.extensions = [ {
///   type = "Company.Audit.AuditExtension, Company.Audit"
///   assembly-path = "plugins/Company.Audit.dll"
///   config { file = "audit.jsonl", deny-topic = "secret/#" }
/// } ]
/// </code>
/// </summary>
public sealed class AuditExtension : IBrokerExtension
{
    // Without a deny-topic the extension only listens, and the broker asks it nothing.
    public ExtensionQuestions Answers(ExtensionContext context) =>
        AuditSettings.From(context).DenyTopic is null ? ExtensionQuestions.None : ExtensionQuestions.Authorize;

    public Props Props(ExtensionContext context) => AuditActor.Props(AuditSettings.From(context));
}
