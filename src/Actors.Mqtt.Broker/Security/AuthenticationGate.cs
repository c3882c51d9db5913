using Actors.Mqtt.Broker.Extensions;
using Actors.Mqtt.Protocol;
using Akka.Actor;
using Akka.Event;

namespace Actors.Mqtt.Broker.Security;

/// <summary>
/// Where every CONNECT is decided (docs/extending.md, "Questions"): asks the operator's authenticating extensions in
/// their order, then the password file (<see cref="AuthActor"/>, its child), until one allows or denies; then, for an
/// allowed client, the extensions that give permissions, then the ACL file (<see cref="AclActor"/>), for the rules its
/// connection checks inline. The connection is told <see cref="ConnectAccepted"/> with them, or <see cref="ConnectRefused"/>.
/// </summary>
public sealed class AuthenticationGate : ReceiveActor
{
    /// <summary>The password file's name in the chain and in a refusal's log line.</summary>
    public const string PasswordFileLink = "password-file";

    /// <summary>The ACL file's name in the chain of permissions.</summary>
    public const string AclFileLink = "acl-file";

    private readonly ILoggingAdapter log = Context.GetLogger();
    private readonly IActorRef passwords;
    private readonly QuestionChain authenticate;
    private readonly QuestionChain permissions;

    /// <param name="authenticators">The operator's extensions that authenticate, if any.</param>
    /// <param name="permissionGivers">The operator's extensions that give permissions, if any.</param>
    public AuthenticationGate(QuestionChain? authenticators, QuestionChain? permissionGivers, AuthSettings settings, PasswordFile? passwordFile, IActorRef acl, TimeSpan connectTimeout, int maxWaiting)
    {
        passwords = Context.ActorOf(AuthActor.Props(settings, passwordFile, maxWaiting), "passwords");

        // The password file keeps a check in its queue while cores are busy; the connection's own timeout bounds that.
        authenticate = new QuestionChain([.. authenticators?.Links ?? [], new QuestionLink(PasswordFileLink, passwords, connectTimeout, TimeoutAnswer.Deny)]);
        permissions = new QuestionChain([.. permissionGivers?.Links ?? [], new QuestionLink(AclFileLink, acl, connectTimeout, TimeoutAnswer.Deny)]);

        Receive<Authenticate>(request => Decide(request).PipeTo(Self));
        Receive<Decided>(OnDecided);
        Receive<AuthenticationAbandoned>(abandoned => passwords.Forward(abandoned));
    }

    public static Props Props(QuestionChain? authenticators, QuestionChain? permissionGivers, AuthSettings settings, PasswordFile? passwordFile, IActorRef acl, TimeSpan connectTimeout, int maxWaiting = AuthActor.MaxWaitingChecks) =>
        Akka.Actor.Props.Create(() => new AuthenticationGate(authenticators, permissionGivers, settings, passwordFile, acl, connectTimeout, maxWaiting));

    /// <summary>Both questions in one task, so that a CONNECT costs the actor a single answer to handle.</summary>
    private async Task<Decided> Decide(Authenticate request)
    {
        var client = new ExtensionClient(request.ClientId, request.UserName, request.Connection.ListenerName, request.Connection.RemoteEndPoint, request.Version);
        var identity = request.Connection.CertificateIdentity;
        var authentication = await authenticate.Ask(new AuthenticateClient(client, request.Password, identity) { Connection = request.ReplyTo }).ConfigureAwait(false);
        if (authentication.Verdict is not Allowed allowed)
        {
            return new Decided(request, authentication, null);
        }

        var rules = await permissions.Ask(new PermissionsFor(client, identity, UserNameProven: !allowed.UserNameUnproven)).ConfigureAwait(false);
        return new Decided(request, authentication, rules);
    }

    private void OnDecided(Decided decided)
    {
        var (request, authentication, rules) = decided;
        foreach (var problem in new[] { authentication.Problem, rules?.Problem })
        {
            if (problem is not null)
            {
                log.Warning("Client {ClientId} from {RemoteEndPoint}: {Problem}", request.ClientId, request.Connection.RemoteEndPoint, problem);
            }
        }

        var (verdict, decidedBy) = rules is null ? (authentication.Verdict, authentication.DecidedBy) : (rules.Verdict, rules.DecidedBy);
        switch (verdict)
        {
            case Allowed allowed:
                request.ReplyTo.Tell(new ConnectAccepted(allowed.Permissions));
                break;
            // Nothing gave the client rules (there is no ACL file): only the per-topic extensions limit it.
            case Abstained when rules is not null:
                request.ReplyTo.Tell(new ConnectAccepted(null));
                break;
            // The password file always answers, so nobody having an opinion on authentication is a broken chain: no entry.
            case Abstained:
                request.ReplyTo.Tell(new ConnectRefused(ReasonCode.NotAuthorized, "no extension had an opinion"));
                break;
            case Denied denied:
                if (denied.ReasonCode is ReasonCode.BadUserNameOrPassword or ReasonCode.NotAuthorized)
                {
                    BrokerMetrics.AuthenticationFailures.Add(1);
                }

                request.ReplyTo.Tell(new ConnectRefused(denied.ReasonCode, decidedBy == PasswordFileLink ? denied.Reason : $"{denied.Reason} (extension {decidedBy})"));
                break;
        }
    }

    /// <summary>What the chains said of one CONNECT; <paramref name="Permissions"/> is null when it was not allowed.</summary>
    private sealed record Decided(Authenticate Request, ChainAnswer Authentication, ChainAnswer? Permissions);
}
