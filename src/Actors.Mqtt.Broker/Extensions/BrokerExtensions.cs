using Akka.Actor;
using Akka.Pattern;

namespace Actors.Mqtt.Broker.Extensions;

/// <summary>
/// The extensions of one node, started: each under a supervisor of its own (<c>/user/extension-NAME</c>) that
/// restarts it at once when it throws and after a growing pause when it stops or cannot start, so an extension never
/// takes the broker down; each gets the broker's events through the event stream. The chains ask the extensions that
/// answer a question, in the configured order.
/// </summary>
public sealed class BrokerExtensions
{
    private BrokerExtensions(QuestionChain? authenticate, QuestionChain? authorize, QuestionChain? permissions)
    {
        Authenticate = authenticate;
        Authorize = authorize;
        Permissions = permissions;
    }

    /// <summary>The extensions that authenticate, before the password file; null when none does.</summary>
    public QuestionChain? Authenticate { get; }

    /// <summary>The extensions that authorize publishing and subscribing, before the ACL file; null when none does,
    /// so a connection asks nobody.</summary>
    public QuestionChain? Authorize { get; }

    /// <summary>The extensions that give a connection its rules, before the ACL file; null when none does.</summary>
    public QuestionChain? Permissions { get; }

    public static BrokerExtensions None { get; } = new(null, null, null);

    public static BrokerExtensions Start(ActorSystem system, IReadOnlyList<ExtensionSettings> extensions)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(extensions);
        if (extensions.Count == 0)
        {
            return None;
        }

        var authenticate = new List<QuestionLink>();
        var authorize = new List<QuestionLink>();
        var permissions = new List<QuestionLink>();
        foreach (var extension in extensions)
        {
            var supervisor = system.ActorOf(SupervisorProps(extension), "extension-" + extension.Name);
            system.EventStream.Subscribe(supervisor, typeof(BrokerEvent));
            var link = new QuestionLink(extension.Name, supervisor, extension.Timeout, extension.OnTimeout);
            var answers = extension.Answers;
            if (answers.HasFlag(ExtensionQuestions.Authenticate))
            {
                authenticate.Add(link);
            }

            if (answers.HasFlag(ExtensionQuestions.Authorize))
            {
                authorize.Add(link);
            }

            if (answers.HasFlag(ExtensionQuestions.Permissions))
            {
                permissions.Add(link);
            }
        }

        return new BrokerExtensions(
            authenticate.Count > 0 ? new QuestionChain(authenticate) : null,
            authorize.Count > 0 ? new QuestionChain(authorize) : null,
            permissions.Count > 0 ? new QuestionChain(permissions) : null);
    }

    private static Props SupervisorProps(ExtensionSettings extension)
    {
        var child = extension.Extension.Props(extension.Context);

        // An exception in a message is the extension's problem with that message: restart it and go on. One that keeps
        // it from starting would fail again at once, so it is stopped and started again after the backoff.
        var strategy = new OneForOneStrategy(
            maxNrOfRetries: -1,
            withinTimeRange: Timeout.InfiniteTimeSpan,
            localOnlyDecider: e => e is ActorInitializationException ? Directive.Stop : Directive.Restart);
        return BackoffSupervisor.Props(
            Backoff.OnStop(child, extension.Name, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), 0.2, maxNrOfRetries: -1)
                .WithSupervisorStrategy(strategy));
    }
}
