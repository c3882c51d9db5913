using Actors.Mqtt.Broker.Extensions;
using Akka.Actor;

namespace Actors.Mqtt.TestExtensions;

/// <summary>Answers the questions named by <c>config.answers</c> (<c>authenticate</c> or <c>authorize</c>) by
/// throwing: the broker restarts it, and takes the entry's on-timeout answer for the question.</summary>
public sealed class ThrowingExtension : IBrokerExtension
{
    public ExtensionQuestions Answers(ExtensionContext context) => Questions.Of(context);

    public Props Props(ExtensionContext context) => Akka.Actor.Props.Create(() => new ThrowingActor());

    private sealed class ThrowingActor : ReceiveActor
    {
        public ThrowingActor() => Receive<ExtensionQuestion>(q => throw new InvalidOperationException($"{q.GetType().Name} is more than this extension can take"));
    }
}

/// <summary>Takes the questions named by <c>config.answers</c> and never answers them: each one runs into its timeout.</summary>
public sealed class SilentExtension : IBrokerExtension
{
    public ExtensionQuestions Answers(ExtensionContext context) => Questions.Of(context);

    public Props Props(ExtensionContext context) => Akka.Actor.Props.Create(() => new SilentActor());

    private sealed class SilentActor : ReceiveActor
    {
        public SilentActor() => Receive<ExtensionQuestion>(_ => { });
    }
}

internal static class Questions
{
    public static ExtensionQuestions Of(ExtensionContext context) => context.Config.GetString("answers") switch
    {
        "authenticate" => ExtensionQuestions.Authenticate,
        "authorize" => ExtensionQuestions.Authorize,
        var other => throw new ArgumentException($"config.answers '{other}': expected authenticate or authorize"),
    };
}
