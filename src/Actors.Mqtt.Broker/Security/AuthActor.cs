using Actors.Mqtt.Protocol;
using Akka.Actor;

namespace Actors.Mqtt.Broker.Security;

/// <summary>
/// Decides whether a CONNECT may go on: anonymous clients by <c>allow-anonymous</c> (of the listener, else global),
/// others by the password file. An accepted client is passed on to the <see cref="AclActor"/>, which answers the
/// connection with its rules; a refused one is answered here.
/// </summary>
/// <remarks>
/// Checking a <c>$7$</c> hash is PBKDF2: CPU work proportional to its iteration count, which an operator's file sets
/// (Mosquitto writes 101, others far more). It runs on the thread pool, never on this actor's thread, so the actor keeps
/// answering; at most one check per core runs at once and the rest wait their turn here, so a flood of CONNECTs with
/// passwords cannot take every thread from the actors.
/// </remarks>
public sealed class AuthActor : WatchedFileActor<PasswordFile>
{
    /// <summary>Password checks that may wait for a free core; a CONNECT beyond them is refused as Server busy.</summary>
    public const int MaxWaitingChecks = 1000;

    private readonly AuthSettings settings;
    private readonly IActorRef acl;
    private readonly Queue<(Authenticate Request, PasswordHash Hash)> waiting = new();
    private readonly int maxRunning = Environment.ProcessorCount;
    private readonly int maxWaiting;
    private int running;

    public AuthActor(AuthSettings settings, PasswordFile? initial, IActorRef acl, int maxWaiting = MaxWaitingChecks)
        : base(settings.PasswordFile, initial, "Password file")
    {
        this.settings = settings;
        this.acl = acl;
        this.maxWaiting = maxWaiting;
        Receive<Authenticate>(OnAuthenticate);
        Receive<Verified>(OnVerified);
        Receive<AuthenticationAbandoned>(OnAbandoned);
    }

    public static Props Props(AuthSettings settings, PasswordFile? initial, IActorRef acl, int maxWaiting = MaxWaitingChecks) =>
        Akka.Actor.Props.Create(() => new AuthActor(settings, initial, acl, maxWaiting));

    protected override PasswordFile Load(string file) => PasswordFile.Load(file);

    private void OnAuthenticate(Authenticate request)
    {
        var anonymousAllowed = settings.AllowsAnonymousOn(request.Connection.ListenerName);
        if (request.UserName is not { } user)
        {
            if (anonymousAllowed)
            {
                Accept(request);
            }
            else
            {
                Refuse(request, ReasonCode.NotAuthorized, "anonymous clients are not allowed on this listener");
            }

            return;
        }

        if (Current is not { } passwords)
        {
            // Without a password file a username proves nothing: the client is as anonymous as one without, and the ACL
            // gives it the anonymous rules. A name from a client certificate was proven by the TLS handshake.
            if (anonymousAllowed)
            {
                Accept(request with { UserName = request.Connection.CertificateIdentity });
            }
            else
            {
                Refuse(request, ReasonCode.NotAuthorized, "no password file to check the username against, and anonymous clients are not allowed");
            }

            return;
        }

        if (!passwords.TryGetHash(user, out var hash))
        {
            Refuse(request, ReasonCode.BadUserNameOrPassword, "unknown username");
        }
        else if (request.Password is null)
        {
            Refuse(request, ReasonCode.BadUserNameOrPassword, "no password");
        }
        else if (running < maxRunning)
        {
            Verify(request, hash!);
        }
        else if (waiting.Count < maxWaiting)
        {
            waiting.Enqueue((request, hash!));
        }
        else
        {
            Refuse(request, ReasonCode.ServerBusy, $"{maxWaiting} password checks are waiting already");
        }
    }

    private void Verify(Authenticate request, PasswordHash hash)
    {
        running++;
        Task.Run(() => hash.Verify(request.Password)).PipeTo(
            Self,
            success: ok => new Verified(request, ok),
            failure: _ => new Verified(request, false));
    }

    private void OnVerified(Verified verified)
    {
        running--;
        if (verified.Ok)
        {
            Accept(verified.Request);
        }
        else
        {
            Refuse(verified.Request, ReasonCode.BadUserNameOrPassword, "wrong password");
        }

        if (waiting.TryDequeue(out var next))
        {
            Verify(next.Request, next.Hash);
        }
    }

    /// <summary>A connection that closed while its check waited: the check is not worth a core any more.</summary>
    private void OnAbandoned(AuthenticationAbandoned abandoned)
    {
        if (waiting.Any(w => w.Request.ReplyTo.Equals(abandoned.Connection)))
        {
            var kept = waiting.Where(w => !w.Request.ReplyTo.Equals(abandoned.Connection)).ToList();
            waiting.Clear();
            foreach (var entry in kept)
            {
                waiting.Enqueue(entry);
            }
        }
    }

    private void Accept(Authenticate request) => acl.Tell(new AclFor(request.ClientId, request.UserName, request.ReplyTo));

    private static void Refuse(Authenticate request, ReasonCode code, string reason)
    {
        if (code is ReasonCode.BadUserNameOrPassword or ReasonCode.NotAuthorized)
        {
            BrokerMetrics.AuthenticationFailures.Add(1);
        }

        request.ReplyTo.Tell(new ConnectRefused(code, reason));
    }

    private sealed record Verified(Authenticate Request, bool Ok);
}
