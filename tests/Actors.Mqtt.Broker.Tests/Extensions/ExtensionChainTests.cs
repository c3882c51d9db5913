using Actors.Mqtt.Broker.Connections;
using Actors.Mqtt.Broker.Extensions;
using Actors.Mqtt.Broker.Security;
using Actors.Mqtt.Protocol;
using Akka.Actor;
using Akka.TestKit.Xunit2;

namespace Actors.Mqtt.Broker.Tests.Extensions;

/// <summary>
/// The operator's extensions as the broker starts them: asked before the password file, each under a supervisor
/// that brings it back when it throws or stops, and told the broker's events.
/// </summary>
public sealed class ExtensionChainTests : TestKit
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);
    private static readonly ConnectionInfo Tcp = new("tcp", "127.0.0.1:5000", "127.0.0.1:1883");

    // No password file and no anonymous clients: the password file refuses everybody who reaches it.
    private static readonly AuthSettings Closed = new(AllowAnonymous: false, null, null);

    private BrokerExtensions Start(params (string Name, Func<object, object?> Answer)[] extensions) =>
        Start(ExtensionQuestions.Authenticate | ExtensionQuestions.Authorize, extensions);

    private BrokerExtensions Start(ExtensionQuestions answers, params (string Name, Func<object, object?> Answer)[] extensions) =>
        BrokerExtensions.Start(Sys, [.. extensions.Select(e => new ExtensionSettings
        {
            Name = e.Name,
            Extension = new Scripted(e.Answer),
            Answers = answers,
            Timeout = TimeSpan.FromSeconds(5),
        })]);

    private IActorRef Gate(BrokerExtensions extensions) =>
        Sys.ActorOf(AuthenticationGate.Props(extensions.Authenticate, extensions.Permissions, Closed, null, AclForEveryone(), TimeSpan.FromMinutes(1)));

    private IActorRef AclForEveryone() => Sys.ActorOf(AclActor.Props(null, AclFile.Parse("topic readwrite #\n", "acl")));

    private static ClientAcl RulesOf(ConnectAccepted accepted) => Assert.IsType<ClientAcl>(accepted.Permissions);

    [Fact]
    public void An_extension_that_allows_lets_in_a_client_the_password_file_would_refuse()
    {
        var gate = Gate(Start(("registry", q => q is AuthenticateClient { Client.UserName: "alice" } ? Verdict.Allow : Verdict.NoOpinion)));

        gate.Tell(new Authenticate(Tcp, "c1", "alice", "pw"u8.ToArray(), TestActor));
        Assert.Equal("alice", RulesOf(ExpectMsg<ConnectAccepted>(Generous)).UserName);

        gate.Tell(new Authenticate(Tcp, "c2", "bob", "pw"u8.ToArray(), TestActor));
        Assert.Equal(ReasonCode.NotAuthorized, ExpectMsg<ConnectRefused>(Generous).ReasonCode);
    }

    [Fact]
    public void An_extension_that_denies_is_the_answer_with_its_reason_code_and_name()
    {
        var gate = Gate(Start(("quiet", _ => Verdict.NoOpinion), ("banned", _ => Verdict.Deny(ReasonCode.Banned, "on the list"))));

        gate.Tell(new Authenticate(Tcp, "c1", "alice", "pw"u8.ToArray(), TestActor));
        var refused = ExpectMsg<ConnectRefused>(Generous);

        Assert.Equal(ReasonCode.Banned, refused.ReasonCode);
        Assert.Contains("banned", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_extension_that_gives_permissions_goes_before_the_acl_file_and_one_without_an_opinion_leaves_it_to_it()
    {
        var rules = new Nothing();
        var gate = Gate(Start(
            ExtensionQuestions.Authenticate | ExtensionQuestions.Permissions,
            ("registry", q => q switch
            {
                AuthenticateClient => Verdict.Allow,
                PermissionsFor { Client.ClientId: "device", UserNameProven: true } => Verdict.AllowWith(rules),
                _ => Verdict.NoOpinion,
            })));

        gate.Tell(new Authenticate(Tcp, "device", "alice", null, TestActor));
        Assert.Same(rules, ExpectMsg<ConnectAccepted>(Generous).Permissions);

        gate.Tell(new Authenticate(Tcp, "other", "alice", null, TestActor));
        Assert.Equal("other", RulesOf(ExpectMsg<ConnectAccepted>(Generous)).ClientId);
    }

    [Fact]
    public void An_extension_that_denies_permissions_refuses_the_CONNECT_with_its_reason_code()
    {
        var gate = Gate(Start(
            ExtensionQuestions.Authenticate | ExtensionQuestions.Permissions,
            ("registry", q => q is PermissionsFor ? Verdict.Deny(ReasonCode.Banned, "unknown device") : Verdict.Allow)));

        gate.Tell(new Authenticate(Tcp, "device", "alice", null, TestActor));
        var refused = ExpectMsg<ConnectRefused>(Generous);

        Assert.Equal(ReasonCode.Banned, refused.ReasonCode);
        Assert.Contains("registry", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_extension_that_throws_is_restarted_and_answers_the_next_question()
    {
        var extensions = Start(("flaky", q => q is AuthenticateClient { Client.ClientId: "boom" } ? throw new InvalidOperationException("boom") : Verdict.Allow));
        var gate = Sys.ActorOf(AuthenticationGate.Props(
            new QuestionChain([extensions.Authenticate!.Links[0] with { Timeout = TimeSpan.FromMilliseconds(300) }]), null, Closed, null, AclForEveryone(), TimeSpan.FromMinutes(1)));

        gate.Tell(new Authenticate(Tcp, "boom", "alice", null, TestActor));
        Assert.Equal(ReasonCode.NotAuthorized, ExpectMsg<ConnectRefused>(Generous).ReasonCode);

        gate.Tell(new Authenticate(Tcp, "c2", "alice", null, TestActor));
        Assert.Equal("c2", RulesOf(ExpectMsg<ConnectAccepted>(Generous)).ClientId);
    }

    [Fact]
    public void An_extension_that_stops_is_started_again()
    {
        var extensions = Start(("quitter", q => q is AuthenticateClient { Client.ClientId: "quit" } ? Stop.Instance : Verdict.Allow));
        var link = extensions.Authenticate!.Links[0];

        link.Answerer.Tell(new AuthenticateClient(new ExtensionClient("quit", null, "tcp", "", MqttProtocolVersion.V500), null, null));
        AwaitAssert(
            () => Assert.IsType<Allowed>(link.Answerer.Ask<Verdict>(new AuthenticateClient(new ExtensionClient("c2", null, "tcp", "", MqttProtocolVersion.V500), null, null), TimeSpan.FromMilliseconds(500)).Result),
            Generous,
            TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Every_extension_hears_the_broker_events()
    {
        var heard = CreateTestProbe();
        Start(("listener", e => e is BrokerEvent ? new Heard(e, heard.Ref) : null));

        Sys.EventStream.Publish(new SessionExpired(DateTimeOffset.UnixEpoch, "c1"));

        Assert.Equal("c1", Assert.IsType<SessionExpired>(heard.ExpectMsg<BrokerEvent>(Generous)).ClientId);
    }

    /// <summary>Rules that allow nothing.</summary>
    private sealed class Nothing : IClientPermissions
    {
        public bool MayPublish(string topic) => false;

        public bool MaySubscribe(string filter) => false;

        public bool MayReceive(string topic) => false;
    }

    /// <summary>What the scripted extension's actor does with a message besides answering it.</summary>
    private sealed record Heard(object Event, IActorRef To);

    private sealed record Stop
    {
        public static readonly Stop Instance = new();
    }

    /// <summary>An extension whose actor does what the test says with each message.</summary>
    private sealed class Scripted(Func<object, object?> script) : IBrokerExtension
    {
        public ExtensionQuestions Answers(ExtensionContext context) => ExtensionQuestions.Authenticate | ExtensionQuestions.Authorize;

        public Props Props(ExtensionContext context) => Akka.Actor.Props.Create(() => new ScriptedActor(script));
    }

    private sealed class ScriptedActor : ReceiveActor
    {
        public ScriptedActor(Func<object, object?> script) =>
            ReceiveAny(message =>
            {
                switch (script(message))
                {
                    case Stop:
                        Context.Stop(Self);
                        break;
                    case Heard heard:
                        heard.To.Tell(heard.Event);
                        break;
                    case { } reply:
                        Sender.Tell(reply);
                        break;
                }
            });
    }
}
