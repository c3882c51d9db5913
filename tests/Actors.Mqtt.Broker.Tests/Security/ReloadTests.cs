using Actors.Mqtt.Broker.Connections;
using Actors.Mqtt.Broker.Extensions;
using Actors.Mqtt.Broker.Security;
using Actors.Mqtt.Protocol;
using Akka.Actor;
using Akka.TestKit.Xunit2;

namespace Actors.Mqtt.Broker.Tests.Security;

public sealed class ReloadTests : TestKit, IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(20);
    private static readonly ConnectionInfo Tcp = new("tcp", "127.0.0.1:5000", "127.0.0.1:1883");
    private readonly string folder = Directory.CreateTempSubdirectory("reload-").FullName;

    public new void Dispose()
    {
        base.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void A_changed_password_file_is_applied_and_a_wrong_one_keeps_the_previous_users()
    {
        var path = Path.Combine(folder, "passwd");
        MosquittoPasswd.Run("-c", "-b", path, "alice", "one");
        Sys.EventStream.Subscribe(TestActor, typeof(SecurityFileReloaded));
        var settings = new AuthSettings(AllowAnonymous: false, path, null);
        var auth = Sys.ActorOf(AuthenticationGate.Props(null, null, settings, PasswordFile.Load(path), AclForEveryone(), TimeSpan.FromMinutes(2)));

        auth.Tell(new Authenticate(Tcp, "c1", "alice", "one"u8.ToArray(), TestActor));
        Assert.Equal("alice", RulesOf(ExpectMsg<ConnectAccepted>(Generous)).UserName);

        MosquittoPasswd.Run("-b", path, "alice", "two");
        ExpectReload(ok: true);
        auth.Tell(new Authenticate(Tcp, "c1", "alice", "one"u8.ToArray(), TestActor));
        Assert.Equal(ReasonCode.BadUserNameOrPassword, FishForMessage<ConnectRefused>(_ => true, Generous).ReasonCode);

        File.AppendAllText(path, "bob\n");
        Assert.Contains(":2:", ExpectReload(ok: false).Problem, StringComparison.Ordinal);
        auth.Tell(new Authenticate(Tcp, "c1", "alice", "two"u8.ToArray(), TestActor));
        Assert.Equal("alice", RulesOf(FishForMessage<ConnectAccepted>(_ => true, Generous)).UserName);
    }

    /// <summary>
    /// The next reload that came out as expected. One change on disk can be seen as more than one event, and each
    /// reload reads what the file holds then, so reloads of the same contents may come twice.
    /// </summary>
    private SecurityFileReloaded ExpectReload(bool ok) =>
        FishForMessage<SecurityFileReloaded>(r => (r.Problem is null) == ok, Generous);

    [Fact]
    public void Anonymous_clients_follow_the_listener_override_before_the_global_setting()
    {
        var settings = new AuthSettings(AllowAnonymous: false, null, null)
        {
            ListenerAllowAnonymous = new Dictionary<string, bool> { ["open"] = true },
        };
        var auth = Sys.ActorOf(AuthenticationGate.Props(null, null, settings, null, AclForEveryone(), TimeSpan.FromMinutes(2)));

        auth.Tell(new Authenticate(Tcp, "c1", null, null, TestActor));
        Assert.Equal(ReasonCode.NotAuthorized, ExpectMsg<ConnectRefused>(Generous).ReasonCode);
        auth.Tell(new Authenticate(Tcp with { ListenerName = "open" }, "c2", null, null, TestActor));
        Assert.Equal("c2", RulesOf(ExpectMsg<ConnectAccepted>(Generous)).ClientId);
    }

    [Fact]
    public void An_acl_reload_on_SIGHUP_is_published_with_a_newer_generation_and_a_wrong_one_is_not()
    {
        var path = Path.Combine(folder, "acl");
        File.WriteAllText(path, "topic read a/#\n");
        Sys.EventStream.Subscribe(TestActor, typeof(AclChanged));
        Sys.EventStream.Subscribe(TestActor, typeof(SecurityFileReloaded));
        var acl = Sys.ActorOf(AclActor.Props(path, AclFile.Load(path)));

        var first = RulesOf(acl);
        Assert.True(first.MayReceive("a/b"));

        File.WriteAllText(path, "topic read b/#\n");
        var changed = ExpectMsg<AclChanged>(Generous);
        ExpectReload(ok: true);
        Assert.True(changed.Generation > first.Generation);
        Assert.True(changed.File!.For("c1", null).MayReceive("b/c"));

        File.WriteAllText(path, "topic sometimes b/#\nbogus\n");
        ExpectReload(ok: false);
        Sys.EventStream.Unsubscribe(TestActor, typeof(AclChanged));
        Sys.EventStream.Publish(ReloadSecurityFiles.Instance);
        ExpectReload(ok: false);
        var kept = RulesOf(acl);
        Assert.True(kept.MayReceive("b/c"));
        Assert.False(kept.MayReceive("a/b"));
    }

    /// <summary>What the ACL file answers the gate for client c1, which has no user name.</summary>
    private static ClientAcl RulesOf(IActorRef acl)
    {
        var verdict = acl.Ask<Verdict>(new PermissionsFor(new ExtensionClient("c1", null, "tcp", "127.0.0.1:5000", MqttProtocolVersion.V311), null, UserNameProven: true), Generous).Result;
        return Assert.IsType<ClientAcl>(Assert.IsType<Allowed>(verdict).Permissions);
    }

    private static ClientAcl RulesOf(ConnectAccepted accepted) => Assert.IsType<ClientAcl>(accepted.Permissions);

    private IActorRef AclForEveryone() => Sys.ActorOf(AclActor.Props(null, AclFile.Parse("topic readwrite #\n", "acl")));
}
