using Actors.Mqtt.Broker.Connections;
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
        var auth = Sys.ActorOf(AuthenticationGate.Props(null, settings, PasswordFile.Load(path), TestActor, TimeSpan.FromMinutes(2)));

        auth.Tell(new Authenticate(Tcp, "c1", "alice", "one"u8.ToArray(), TestActor));
        Assert.Equal("alice", ExpectMsg<AclFor>(Generous).UserName);

        MosquittoPasswd.Run("-b", path, "alice", "two");
        ExpectReload(ok: true);
        auth.Tell(new Authenticate(Tcp, "c1", "alice", "one"u8.ToArray(), TestActor));
        Assert.Equal(ReasonCode.BadUserNameOrPassword, FishForMessage<ConnectRefused>(_ => true, Generous).ReasonCode);

        File.AppendAllText(path, "bob\n");
        Assert.Contains(":2:", ExpectReload(ok: false).Problem, StringComparison.Ordinal);
        auth.Tell(new Authenticate(Tcp, "c1", "alice", "two"u8.ToArray(), TestActor));
        Assert.Equal("alice", FishForMessage<AclFor>(_ => true, Generous).UserName);
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
        var auth = Sys.ActorOf(AuthenticationGate.Props(null, settings, null, TestActor, TimeSpan.FromMinutes(2)));

        auth.Tell(new Authenticate(Tcp, "c1", null, null, TestActor));
        Assert.Equal(ReasonCode.NotAuthorized, ExpectMsg<ConnectRefused>(Generous).ReasonCode);
        auth.Tell(new Authenticate(Tcp with { ListenerName = "open" }, "c2", null, null, TestActor));
        Assert.Equal("c2", ExpectMsg<AclFor>(Generous).ClientId);
    }

    [Fact]
    public void An_acl_reload_on_SIGHUP_is_published_with_a_newer_generation_and_a_wrong_one_is_not()
    {
        var path = Path.Combine(folder, "acl");
        File.WriteAllText(path, "topic read a/#\n");
        Sys.EventStream.Subscribe(TestActor, typeof(AclChanged));
        Sys.EventStream.Subscribe(TestActor, typeof(SecurityFileReloaded));
        var acl = Sys.ActorOf(AclActor.Props(path, AclFile.Load(path)));

        acl.Tell(new AclFor("c1", null, TestActor));
        var first = ExpectMsg<ConnectAccepted>(Generous);
        Assert.True(first.Acl!.CanRead("a/b"));

        File.WriteAllText(path, "topic read b/#\n");
        var changed = ExpectMsg<AclChanged>(Generous);
        ExpectReload(ok: true);
        Assert.True(changed.Generation > first.AclGeneration);
        Assert.True(changed.File!.For("c1", null).CanRead("b/c"));

        File.WriteAllText(path, "topic sometimes b/#\nbogus\n");
        ExpectReload(ok: false);
        Sys.EventStream.Unsubscribe(TestActor, typeof(AclChanged));
        Sys.EventStream.Publish(ReloadSecurityFiles.Instance);
        ExpectReload(ok: false);
        acl.Tell(new AclFor("c1", null, TestActor));
        var kept = FishForMessage<ConnectAccepted>(_ => true, Generous);
        Assert.True(kept.Acl!.CanRead("b/c"));
        Assert.False(kept.Acl.CanRead("a/b"));
    }
}
