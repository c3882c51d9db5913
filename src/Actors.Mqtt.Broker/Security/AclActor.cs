using Actors.Mqtt.Broker.Extensions;
using Akka.Actor;

namespace Actors.Mqtt.Broker.Security;

/// <summary>
/// The built-in extension of the ACL file, last in the chain of <see cref="PermissionsFor"/>: it answers with the
/// client's rules (<see cref="ClientAcl"/>), or no opinion when there is no ACL file. After a reload the new file is
/// told to every connection, which resolves its rules again, if the file gave them, without being dropped.
/// </summary>
public sealed class AclActor : WatchedFileActor<AclFile>
{
    private long generation;

    public AclActor(string? path, AclFile? initial)
        : base(path, initial, "ACL file")
    {
        Receive<PermissionsFor>(question =>
        {
            var user = question.UserNameProven ? question.Client.UserName : question.CertificateIdentity;
            Sender.Tell(Current is { } file ? Verdict.AllowWith(file.For(question.Client.ClientId, user, generation)) : Verdict.NoOpinion);
        });
    }

    public static Props Props(string? path, AclFile? initial) => Akka.Actor.Props.Create(() => new AclActor(path, initial));

    protected override AclFile Load(string file) => AclFile.Load(file);

    protected override void OnReloaded()
    {
        generation++;
        // Connections get it by name rather than through the event stream, where a subscription per connection costs
        // every connect; the event stream still carries it for whoever watches the broker.
        var changed = new AclChanged(Current, generation);
        Context.ActorSelection("/user/" + MqttBroker.ConnectionNamePrefix + "*").Tell(changed);
        Context.System.EventStream.Publish(changed);
    }
}
