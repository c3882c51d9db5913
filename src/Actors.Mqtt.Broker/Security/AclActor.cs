using Akka.Actor;

namespace Actors.Mqtt.Broker.Security;

/// <summary>
/// Owns the ACL file. Each accepted CONNECT gets its client's rules from here; after a reload the new file is published
/// on the event stream and every connection resolves its rules again, without being dropped.
/// </summary>
public sealed class AclActor : WatchedFileActor<AclFile>
{
    private long generation;

    public AclActor(string? path, AclFile? initial)
        : base(path, initial, "ACL file")
    {
        Receive<AclFor>(request =>
            request.ReplyTo.Tell(new ConnectAccepted(Current?.For(request.ClientId, request.UserName), generation, request.UserName)));
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
