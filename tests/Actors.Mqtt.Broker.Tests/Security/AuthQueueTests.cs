using Actors.Mqtt.Broker.Connections;
using Actors.Mqtt.Broker.Security;
using Actors.Mqtt.Protocol;
using Akka.Actor;
using Akka.TestKit.Xunit2;

namespace Actors.Mqtt.Broker.Tests.Security;

/// <summary>
/// Password checks are CPU work: at most one per core runs, a bounded number wait, and a CONNECT beyond them is refused
/// at once as Server busy; the check of a connection that closed while it waited is dropped.
/// </summary>
public sealed class AuthQueueTests : TestKit, IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);
    private static readonly ConnectionInfo Tcp = new("tcp", "127.0.0.1:5000", "127.0.0.1:1883");
    private readonly string folder = Directory.CreateTempSubdirectory("auth-queue-").FullName;

    public new void Dispose()
    {
        base.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void Checks_beyond_the_waiting_limit_are_refused_as_server_busy_and_an_abandoned_one_makes_room()
    {
        // A check of about a second: long enough that none of them ends before the one beyond the limit is refused.
        var path = Path.Combine(folder, "passwd");
        File.WriteAllText(path, $"alice:$7$2000000${Convert.ToBase64String(new byte[12])}${Convert.ToBase64String(new byte[64])}\n");
        var auth = Sys.ActorOf(AuthenticationGate.Props(null, null, new AuthSettings(AllowAnonymous: false, path, null), PasswordFile.Load(path), TestActor, TimeSpan.FromMinutes(2), maxWaiting: 2));

        var admitted = Enumerable.Range(0, Environment.ProcessorCount + 2).Select(_ => CreateTestProbe()).ToList();
        foreach (var connection in admitted)
        {
            auth.Tell(new Authenticate(Tcp, "c", "alice", "secret"u8.ToArray(), connection.Ref));
        }

        var refused = CreateTestProbe();
        auth.Tell(new Authenticate(Tcp, "c", "alice", "secret"u8.ToArray(), refused.Ref));
        Assert.Equal(ReasonCode.ServerBusy, refused.ExpectMsg<ConnectRefused>(Generous).ReasonCode);

        // Admitted, not refused as busy: its answer is its password check's, whenever a loaded machine gets to it.
        auth.Tell(new AuthenticationAbandoned(admitted[^1].Ref));
        var next = CreateTestProbe();
        auth.Tell(new Authenticate(Tcp, "c", "alice", "secret"u8.ToArray(), next.Ref));
        Assert.Equal(ReasonCode.BadUserNameOrPassword, next.ExpectMsg<ConnectRefused>(TimeSpan.FromMinutes(1)).ReasonCode);
    }
}
