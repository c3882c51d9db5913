using Actors.Mqtt.Broker.Extensions;
using Actors.Mqtt.Protocol;
using Akka.Actor;
using Akka.Event;

namespace Actors.Mqtt.Broker.Security;

/// <summary>
/// Where every CONNECT is decided: asks the operator's authenticating extensions in their order, then the password
/// file (<see cref="AuthActor"/>, its child), until one allows or denies (docs/extending.md, "Questions"). An allowed
/// client gets its ACL rules from the <see cref="AclActor"/>, which answers the connection; a denied one is answered here.
/// </summary>
public sealed class AuthenticationGate : ReceiveActor
{
    /// <summary>The password file's name in the chain and in a refusal's log line.</summary>
    public const string PasswordFileLink = "password-file";

    private readonly ILoggingAdapter log = Context.GetLogger();
    private readonly IActorRef passwords;

    public AuthenticationGate(QuestionChain? extensions, AuthSettings settings, PasswordFile? passwordFile, IActorRef acl, TimeSpan connectTimeout, int maxWaiting)
    {
        passwords = Context.ActorOf(AuthActor.Props(settings, passwordFile, maxWaiting), "passwords");

        // The password file keeps a check in its queue while cores are busy; the connection's own timeout bounds that.
        var chain = new QuestionChain([.. extensions?.Links ?? [], new QuestionLink(PasswordFileLink, passwords, connectTimeout, TimeoutAnswer.Deny)]);

        Receive<Authenticate>(request =>
        {
            var client = new ExtensionClient(request.ClientId, request.UserName, request.Connection.ListenerName, request.Connection.RemoteEndPoint, request.Version);
            var question = new AuthenticateClient(client, request.Password, request.Connection.CertificateIdentity) { Connection = request.ReplyTo };
            chain.Ask(question).PipeTo(Self, success: answer => new Answered(request, answer));
        });
        Receive<Answered>(answered =>
        {
            var (request, answer) = answered;
            if (answer.Problem is { } problem)
            {
                log.Warning("Client {ClientId} from {RemoteEndPoint}: {Problem}", request.ClientId, request.Connection.RemoteEndPoint, problem);
            }

            switch (answer.Verdict)
            {
                case Allowed allowed:
                    acl.Tell(new AclFor(request.ClientId, allowed.UserNameUnproven ? request.Connection.CertificateIdentity : request.UserName, request.ReplyTo));
                    break;
                // The password file always answers, so nobody having an opinion is a broken chain: no entry.
                case Abstained:
                    request.ReplyTo.Tell(new ConnectRefused(ReasonCode.NotAuthorized, "no extension had an opinion"));
                    break;
                case Denied denied:
                    if (denied.ReasonCode is ReasonCode.BadUserNameOrPassword or ReasonCode.NotAuthorized)
                    {
                        BrokerMetrics.AuthenticationFailures.Add(1);
                    }

                    request.ReplyTo.Tell(new ConnectRefused(denied.ReasonCode, answer.DecidedBy == PasswordFileLink ? denied.Reason : $"{denied.Reason} (extension {answer.DecidedBy})"));
                    break;
            }
        });
        Receive<AuthenticationAbandoned>(abandoned => passwords.Forward(abandoned));
    }

    public static Props Props(QuestionChain? extensions, AuthSettings settings, PasswordFile? passwordFile, IActorRef acl, TimeSpan connectTimeout, int maxWaiting = AuthActor.MaxWaitingChecks) =>
        Akka.Actor.Props.Create(() => new AuthenticationGate(extensions, settings, passwordFile, acl, connectTimeout, maxWaiting));

    private sealed record Answered(Authenticate Request, ChainAnswer Answer);
}
