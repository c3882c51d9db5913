using System.Text;
using Actors.Mqtt.Broker.Extensions;
using Actors.Mqtt.Broker.Extensions.Http;
using Actors.Mqtt.Protocol;
using Akka.Actor;
using Akka.Event;
using Akka.TestKit.Xunit2;
using Microsoft.Extensions.Time.Testing;

namespace Actors.Mqtt.Broker.Tests.Extensions.Http;

/// <summary>
/// The HTTP extension's actor against a real HTTP server on 127.0.0.1: the status code decides, anything but 2xx,
/// 401 and 403 (or no answer at all) is no opinion, and allow and deny are cached by the question's content.
/// </summary>
public sealed class HttpAuthActorTests : TestKit, IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(20);
    private static readonly ExtensionClient Alice = new("client-1", "alice", "tcp", "127.0.0.1:50000", MqttProtocolVersion.V500);
    private readonly TestHttpServer server = new();

    public new void Dispose()
    {
        server.Dispose();
        base.Dispose();
    }

    [Fact]
    public void A_connect_the_server_answers_200_is_allowed_and_the_server_gets_every_field()
    {
        var actor = Start();

        actor.Tell(Connect(Alice, "pässword"));

        Assert.Same(Verdict.Allow, ExpectMsg<Verdict>(Generous));
        var request = Assert.Single(server.Received);
        Assert.Equal("/mqtt/auth", request.Path);
        Assert.Equal("client-1", request.Body.GetProperty("clientid").GetString());
        Assert.Equal("alice", request.Body.GetProperty("username").GetString());
        Assert.Equal("pässword", request.Body.GetProperty("password").GetString());
        Assert.Equal("tcp", request.Body.GetProperty("listener").GetString());
        Assert.Equal("127.0.0.1:50000", request.Body.GetProperty("peer").GetString());
        Assert.Equal(5, request.Body.GetProperty("protocol").GetInt32());
    }

    [Fact]
    public void A_connect_without_user_name_or_password_sends_nulls()
    {
        var actor = Start();

        actor.Tell(new AuthenticateClient(Alice with { UserName = null, ProtocolVersion = MqttProtocolVersion.V311 }, null, null));

        ExpectMsg<Verdict>(Generous);
        var body = Assert.Single(server.Received).Body;
        Assert.Equal(System.Text.Json.JsonValueKind.Null, body.GetProperty("username").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, body.GetProperty("password").ValueKind);
        Assert.Equal(4, body.GetProperty("protocol").GetInt32());
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    public void A_connect_the_server_answers_401_or_403_is_denied_as_bad_user_name_or_password(int status)
    {
        server.Answer = (_, _) => Task.FromResult(status);
        var actor = Start();

        actor.Tell(Connect(Alice, "wrong"));

        var denied = Assert.IsType<Denied>(ExpectMsg<Verdict>(Generous));
        Assert.Equal(ReasonCode.BadUserNameOrPassword, denied.ReasonCode);
        Assert.DoesNotContain("wrong", denied.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(404)]
    [InlineData(302)]
    public void Any_other_status_is_no_opinion(int status)
    {
        server.Answer = (_, _) => Task.FromResult(status);
        var actor = Start();

        actor.Tell(Connect(Alice, "secret"));

        Assert.IsType<Abstained>(ExpectMsg<Verdict>(Generous));
    }

    [Fact]
    public void A_server_that_answers_after_the_request_timeout_has_no_opinion()
    {
        server.Answer = TestHttpServer.Never;
        var actor = Start(Settings() with { RequestTimeout = TimeSpan.FromMilliseconds(300) });

        actor.Tell(Connect(Alice, "secret"));

        Assert.IsType<Abstained>(ExpectMsg<Verdict>(Generous));
    }

    [Fact]
    public void A_server_that_is_down_has_no_opinion_and_the_warning_names_no_password()
    {
        var warnings = CreateTestProbe();
        Sys.EventStream.Subscribe(warnings.Ref, typeof(Warning));
        var nowhere = new Uri($"http://127.0.0.1:{TestHttpServer.FreePort()}/mqtt/auth");
        var actor = Start(Settings() with { AuthenticateUrl = nowhere });

        actor.Tell(Connect(Alice, "hunter2-secret"));

        Assert.IsType<Abstained>(ExpectMsg<Verdict>(Generous));
        var warning = warnings.FishForMessage<Warning>(w => w.ToString()!.Contains("HTTP auth server", StringComparison.Ordinal), Generous);
        Assert.Contains(nowhere.ToString(), warning.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", warning.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Questions_without_an_answer_are_warned_about_once_a_minute_with_their_count()
    {
        var warnings = CreateTestProbe();
        Sys.EventStream.Subscribe(warnings.Ref, typeof(Warning));
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var nowhere = new Uri($"http://127.0.0.1:{TestHttpServer.FreePort()}/mqtt/auth");
        var actor = Sys.ActorOf(HttpAuthActor.Props(Settings() with { AuthenticateUrl = nowhere }, time));

        foreach (var password in new[] { "1", "2", "3" })
        {
            actor.Tell(Connect(Alice, password));
            Assert.IsType<Abstained>(ExpectMsg<Verdict>(Generous));
        }

        time.Advance(TimeSpan.FromMinutes(1));
        actor.Tell(Connect(Alice, "4"));
        Assert.IsType<Abstained>(ExpectMsg<Verdict>(Generous));

        // The first is warned about at once; the next two wait for the minute to pass and come with the fourth.
        Assert.EndsWith(": 1", Counted(warnings));
        Assert.EndsWith(": 3", Counted(warnings));
    }

    [Fact]
    public void An_answer_is_cached_for_the_same_question_and_not_for_another_password()
    {
        var actor = Start();

        actor.Tell(Connect(Alice, "secret"));
        Assert.Same(Verdict.Allow, ExpectMsg<Verdict>(Generous));

        // The same client from another port of the same address: the same question.
        actor.Tell(Connect(Alice with { RemoteEndPoint = "127.0.0.1:50001" }, "secret"));
        Assert.Same(Verdict.Allow, ExpectMsg<Verdict>(Generous));
        Assert.Single(server.Received);

        server.Answer = (_, _) => Task.FromResult(401);
        actor.Tell(Connect(Alice, "other"));
        Assert.IsType<Denied>(ExpectMsg<Verdict>(Generous));
        Assert.Equal(2, server.Received.Count);

        // A deny is cached too.
        server.Answer = (_, _) => Task.FromResult(200);
        actor.Tell(Connect(Alice, "other"));
        Assert.IsType<Denied>(ExpectMsg<Verdict>(Generous));
        Assert.Equal(2, server.Received.Count);
    }

    [Fact]
    public void A_cached_answer_expires_after_the_ttl()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var actor = Sys.ActorOf(HttpAuthActor.Props(Settings() with { CacheTtl = TimeSpan.FromSeconds(60) }, time));

        actor.Tell(Connect(Alice, "secret"));
        ExpectMsg<Verdict>(Generous);
        time.Advance(TimeSpan.FromSeconds(59));
        actor.Tell(Connect(Alice, "secret"));
        ExpectMsg<Verdict>(Generous);
        Assert.Single(server.Received);

        time.Advance(TimeSpan.FromSeconds(2));
        actor.Tell(Connect(Alice, "secret"));
        ExpectMsg<Verdict>(Generous);
        Assert.Equal(2, server.Received.Count);
    }

    [Fact]
    public void No_opinion_is_not_cached_and_a_zero_ttl_caches_nothing()
    {
        server.Answer = (_, _) => Task.FromResult(503);
        var actor = Start();
        actor.Tell(Connect(Alice, "secret"));
        Assert.IsType<Abstained>(ExpectMsg<Verdict>(Generous));

        server.Answer = (_, _) => Task.FromResult(200);
        actor.Tell(Connect(Alice, "secret"));
        Assert.Same(Verdict.Allow, ExpectMsg<Verdict>(Generous));
        Assert.Equal(2, server.Received.Count);

        var uncached = Start(Settings() with { CacheTtl = TimeSpan.Zero });
        uncached.Tell(Connect(Alice, "secret"));
        ExpectMsg<Verdict>(Generous);
        uncached.Tell(Connect(Alice, "secret"));
        ExpectMsg<Verdict>(Generous);
        Assert.Equal(4, server.Received.Count);
    }

    [Fact]
    public void A_question_beyond_max_in_flight_has_no_opinion_without_a_request()
    {
        server.Answer = TestHttpServer.Never;
        var actor = Start(Settings() with { MaxInFlight = 1, RequestTimeout = TimeSpan.FromMinutes(5) });

        actor.Tell(Connect(Alice, "secret"), CreateTestProbe().Ref);
        AwaitCondition(() => server.Received.Count == 1, Generous);
        actor.Tell(Connect(Alice with { ClientId = "client-2" }, "secret"));

        Assert.IsType<Abstained>(ExpectMsg<Verdict>(Generous));
        Assert.Single(server.Received);
    }

    [Theory]
    [InlineData(ClientAction.Publish, "publish")]
    [InlineData(ClientAction.Subscribe, "subscribe")]
    public void An_action_the_server_answers_200_is_allowed_and_the_server_gets_every_field(ClientAction action, string name)
    {
        var actor = Start();

        actor.Tell(new AuthorizeClient(Alice, action, "sensors/+/temperature", QualityOfService.AtLeastOnce, Retain: true));

        Assert.Same(Verdict.Allow, ExpectMsg<Verdict>(Generous));
        var request = Assert.Single(server.Received);
        Assert.Equal("/mqtt/acl", request.Path);
        Assert.Equal("client-1", request.Body.GetProperty("clientid").GetString());
        Assert.Equal("alice", request.Body.GetProperty("username").GetString());
        Assert.Equal(name, request.Body.GetProperty("action").GetString());
        Assert.Equal("sensors/+/temperature", request.Body.GetProperty("topic").GetString());
        Assert.Equal(1, request.Body.GetProperty("qos").GetInt32());
        Assert.True(request.Body.GetProperty("retain").GetBoolean());
    }

    [Theory]
    [InlineData(ClientAction.Publish, 403)]
    [InlineData(ClientAction.Subscribe, 401)]
    public void An_action_the_server_answers_401_or_403_is_denied_as_not_authorized(ClientAction action, int status)
    {
        server.Answer = (_, _) => Task.FromResult(status);
        var actor = Start();

        actor.Tell(new AuthorizeClient(Alice, action, "secret/topic", QualityOfService.AtMostOnce, Retain: false));

        Assert.Equal(ReasonCode.NotAuthorized, Assert.IsType<Denied>(ExpectMsg<Verdict>(Generous)).ReasonCode);
    }

    [Fact]
    public void Authorization_answers_are_cached_per_action_and_topic()
    {
        var actor = Start();

        foreach (var (action, topic) in new[] { (ClientAction.Publish, "a/b"), (ClientAction.Publish, "a/b"), (ClientAction.Subscribe, "a/b"), (ClientAction.Publish, "a/c"), (ClientAction.Subscribe, "a/b") })
        {
            actor.Tell(new AuthorizeClient(Alice, action, topic, QualityOfService.AtMostOnce, false));
            Assert.Same(Verdict.Allow, ExpectMsg<Verdict>(Generous));
        }

        Assert.Equal(
            ["publish a/b", "subscribe a/b", "publish a/c"],
            server.Received.Select(r => $"{r.Body.GetProperty("action").GetString()} {r.Body.GetProperty("topic").GetString()}"));
    }

    [Fact]
    public void A_question_whose_url_is_not_set_has_no_opinion_without_a_request()
    {
        var actor = Start(Settings() with { AuthorizeUrl = null });

        actor.Tell(new AuthorizeClient(Alice, ClientAction.Publish, "a/b", QualityOfService.AtMostOnce, false));

        Assert.IsType<Abstained>(ExpectMsg<Verdict>(Generous));
        Assert.Empty(server.Received);
    }

    private static string Counted(Akka.TestKit.TestProbe warnings)
    {
        var text = warnings.FishForMessage<Warning>(w => w.ToString()!.Contains("HTTP auth server", StringComparison.Ordinal), Generous).ToString()!;
        return text[..text.IndexOf(", the latest", StringComparison.Ordinal)];
    }

    private IActorRef Start(HttpAuthSettings? settings = null) =>
        Sys.ActorOf(HttpAuthActor.Props(settings ?? Settings(), TimeProvider.System));

    private HttpAuthSettings Settings() => new(
        server.Url("/mqtt/auth"),
        server.Url("/mqtt/acl"),
        RequestTimeout: TimeSpan.FromSeconds(10),
        CacheTtl: TimeSpan.FromSeconds(60),
        CacheMaxEntries: 100,
        MaxInFlight: 100);

    private static AuthenticateClient Connect(ExtensionClient client, string password) =>
        new(client, Encoding.UTF8.GetBytes(password), null);
}
