using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Actors.Mqtt.Protocol;
using Akka.Actor;
using Akka.Event;

namespace Actors.Mqtt.Broker.Extensions.Http;

/// <summary>
/// Answers <see cref="AuthenticateClient"/> and <see cref="AuthorizeClient"/> by posting the question as JSON to the
/// configured URL and reading the status code of the answer (the body is not read):
/// <list type="bullet">
/// <item>2xx: allow;</item>
/// <item>401 or 403: deny, as Bad user name or password for a CONNECT and Not authorized for a PUBLISH or SUBSCRIBE;</item>
/// <item>any other status (redirects are not followed), a connection error or no answer within <c>request-timeout</c>:
/// no opinion, so the next extension, then the password file or ACL, decides. A server that is down then does not
/// lock every client out, and an operator who wants that puts no password file behind it and allow-anonymous off.</item>
/// </list>
/// </summary>
/// <remarks>
/// The actor never waits: requests run on one shared <see cref="HttpClient"/> and their outcome is piped back here,
/// where the cache is filled and the asker answered. At most <c>max-in-flight</c> requests wait for the server; a
/// question beyond them has no opinion at once rather than a place in a queue, since a server that slow would answer
/// it after the broker stopped waiting anyway. Questions without an answer are counted and logged as one warning a
/// minute at most; the password is never logged and never a cache key (its SHA-256 is).
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "An actor releases what it holds in PostStop, not in Dispose.")]
public sealed class HttpAuthActor : ReceiveActor
{
    private static readonly TimeSpan WarningInterval = TimeSpan.FromMinutes(1);

    private readonly HttpAuthSettings settings;
    private readonly TimeProvider time;
    private readonly HttpClient client;
    private readonly AnswerCache cache;
    private readonly ILoggingAdapter log = Context.GetLogger();
    private int inFlight;
    private int unanswered;
    private DateTimeOffset? lastWarning;

    public HttpAuthActor(HttpAuthSettings settings, TimeProvider time)
    {
        this.settings = settings;
        this.time = time;
        cache = new AnswerCache(settings.CacheTtl, settings.CacheMaxEntries, time);

        // Pooled connections are renewed now and then, so a server behind DNS that moves is found again.
        client = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            ConnectTimeout = settings.RequestTimeout,
            MaxConnectionsPerServer = settings.MaxInFlight,
            AllowAutoRedirect = false,
        })
        {
            Timeout = settings.RequestTimeout,
        };

        Receive<AuthenticateClient>(OnAuthenticate);
        Receive<AuthorizeClient>(OnAuthorize);
        Receive<Answered>(OnAnswered);

        // Every extension hears the broker's events; this one decides from the server's answers alone.
        Receive<BrokerEvent>(_ => { });
    }

    public static Props Props(HttpAuthSettings settings, TimeProvider time) =>
        Akka.Actor.Props.Create(() => new HttpAuthActor(settings, time));

    protected override void PostStop()
    {
        client.Dispose();
        base.PostStop();
    }

    private void OnAuthenticate(AuthenticateClient question)
    {
        if (settings.AuthenticateUrl is not { } url)
        {
            Sender.Tell(Verdict.NoOpinion);
            return;
        }

        var c = question.Client;
        var password = question.Password is { } bytes ? Encoding.UTF8.GetString(bytes.Span) : null;
        var body = new AuthenticationRequest(c.ClientId, c.UserName, password, c.Listener, c.RemoteEndPoint, (int)c.ProtocolVersion);

        // The peer's port changes with every connection: keyed by it, a reconnecting client would never find its answer.
        var key = Key("authenticate", c.ClientId, c.UserName, PasswordHash(question.Password), c.Listener, PeerAddress(c.RemoteEndPoint), body.Protocol.ToString(CultureInfo.InvariantCulture));
        Ask(url, key, body, ReasonCode.BadUserNameOrPassword);
    }

    private void OnAuthorize(AuthorizeClient question)
    {
        if (settings.AuthorizeUrl is not { } url)
        {
            Sender.Tell(Verdict.NoOpinion);
            return;
        }

        var c = question.Client;
        var action = question.Action == ClientAction.Publish ? "publish" : "subscribe";
        var body = new AuthorizationRequest(c.ClientId, c.UserName, action, question.Topic, (int)question.QoS, question.Retain);
        var key = Key("authorize", c.ClientId, c.UserName, action, question.Topic, body.QoS.ToString(CultureInfo.InvariantCulture), question.Retain ? "1" : "0");
        Ask(url, key, body, ReasonCode.NotAuthorized);
    }

    private void Ask<T>(Uri url, string key, T body, ReasonCode denial)
    {
        if (cache.TryGet(key, out var cached))
        {
            Sender.Tell(cached);
            return;
        }

        if (inFlight >= settings.MaxInFlight)
        {
            Sender.Tell(Verdict.NoOpinion);
            Unanswered(url, $"{inFlight} requests were waiting for it already (max-in-flight)");
            return;
        }

        inFlight++;
        var replyTo = Sender;
        Post(url, body, denial).PipeTo(
            Self,
            success: outcome => new Answered(key, replyTo, url, outcome),
            failure: e => new Answered(key, replyTo, url, new Outcome(Verdict.NoOpinion, $"the request failed: {e.GetType().Name}")));
    }

    private async Task<Outcome> Post<T>(Uri url, T body, ReasonCode denial)
    {
        try
        {
            using var content = JsonContent.Create(body);
            using var response = await client.PostAsync(url, content).ConfigureAwait(false);
            return (int)response.StatusCode switch
            {
                >= 200 and < 300 => new Outcome(Verdict.Allow, null),
                401 or 403 => new Outcome(Verdict.Deny(denial, $"{url} answered {(int)response.StatusCode}"), null),
                var status => new Outcome(Verdict.NoOpinion, $"it answered {status}"),
            };
        }
        catch (HttpRequestException e)
        {
            return new Outcome(Verdict.NoOpinion, e.Message);
        }
        catch (TaskCanceledException)
        {
            return new Outcome(Verdict.NoOpinion, $"it gave no answer within request-timeout ({settings.RequestTimeout.TotalMilliseconds:0} ms)");
        }
    }

    private void OnAnswered(Answered answered)
    {
        inFlight--;
        if (answered.Outcome.Problem is { } problem)
        {
            Unanswered(answered.Url, problem);
        }
        else
        {
            cache.Add(answered.Key, answered.Outcome.Verdict);
        }

        answered.ReplyTo.Tell(answered.Outcome.Verdict);
    }

    private void Unanswered(Uri url, string problem)
    {
        unanswered++;
        var now = time.GetUtcNow();
        if (lastWarning is { } last && now - last < WarningInterval)
        {
            return;
        }

        log.Warning(
            "Questions the HTTP auth server {Url} left without an answer since the last warning: {Count}, the latest because {Problem}; the next extension, then the password file or ACL, decided them",
            url, unanswered, problem);
        lastWarning = now;
        unanswered = 0;
    }

    // MQTT strings cannot hold U+0000, so it separates the fields without escaping; a null field differs from an empty one.
    private static string Key(params string?[] fields) => string.Join('\0', fields.Select(f => f is null ? "-" : "=" + f));

    private static string? PasswordHash(ReadOnlyMemory<byte>? password) =>
        password is { } bytes ? Convert.ToHexString(SHA256.HashData(bytes.Span)) : null;

    private static string PeerAddress(string remote) => IPEndPoint.TryParse(remote, out var endPoint) ? endPoint.Address.ToString() : remote;

    /// <param name="Problem">Why there is no answer; null when the server allowed or denied.</param>
    private sealed record Outcome(Verdict Verdict, string? Problem);

    private sealed record Answered(string Key, IActorRef ReplyTo, Uri Url, Outcome Outcome);
}
