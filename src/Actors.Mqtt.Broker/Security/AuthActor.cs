using Actors.Mqtt.Broker.Extensions;
using Actors.Mqtt.Protocol;
using Akka.Actor;

namespace Actors.Mqtt.Broker.Security;

/// <summary>
/// The built-in extension of the password file, last in the chain of <see cref="AuthenticationGate"/>: it answers
/// <see cref="AuthenticateClient"/> with a <see cref="Verdict"/> as an operator's extension does, deciding anonymous
/// clients by <c>allow-anonymous</c> (of the listener, else global) and the others by the password file.
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
    private readonly Queue<(Question Request, PasswordHash Hash)> waiting = new();
    private readonly int maxRunning = Environment.ProcessorCount;
    private readonly int maxWaiting;
    private int running;

    public AuthActor(AuthSettings settings, PasswordFile? initial, int maxWaiting = MaxWaitingChecks)
        : base(settings.PasswordFile, initial, "Password file")
    {
        this.settings = settings;
        this.maxWaiting = maxWaiting;
        Receive<AuthenticateClient>(question => OnAuthenticate(new Question(question, Sender)));
        Receive<Verified>(OnVerified);
        Receive<AuthenticationAbandoned>(OnAbandoned);
    }

    public static Props Props(AuthSettings settings, PasswordFile? initial, int maxWaiting = MaxWaitingChecks) =>
        Akka.Actor.Props.Create(() => new AuthActor(settings, initial, maxWaiting));

    protected override PasswordFile Load(string file) => PasswordFile.Load(file);

    private void OnAuthenticate(Question request)
    {
        var anonymousAllowed = settings.AllowsAnonymousOn(request.Asked.Client.Listener);
        if (request.Asked.Client.UserName is not { } user)
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
                request.ReplyTo.Tell(Allowed.Unproven);
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
        else if (request.Asked.Password is null)
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

    private void Verify(Question request, PasswordHash hash)
    {
        running++;
        var password = request.Asked.Password!.Value.ToArray();
        Task.Run(() => hash.Verify(password)).PipeTo(
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
        if (waiting.Any(w => abandoned.Connection.Equals(w.Request.Asked.Connection)))
        {
            var kept = waiting.Where(w => !abandoned.Connection.Equals(w.Request.Asked.Connection)).ToList();
            waiting.Clear();
            foreach (var entry in kept)
            {
                waiting.Enqueue(entry);
            }
        }
    }

    private static void Accept(Question request) => request.ReplyTo.Tell(Verdict.Allow);

    private static void Refuse(Question request, ReasonCode code, string reason) => request.ReplyTo.Tell(Verdict.Deny(code, reason));

    private sealed record Question(AuthenticateClient Asked, IActorRef ReplyTo);

    private sealed record Verified(Question Request, bool Ok);
}
