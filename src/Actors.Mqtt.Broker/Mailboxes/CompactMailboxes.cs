using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace Actors.Mqtt.Broker.Mailboxes;

/// <summary>The default mailbox of the broker's actor system (reference.conf): <see cref="CompactMessageList"/>.</summary>
public sealed class CompactMailbox(Settings settings, Config config) : MailboxType(settings, config), IProducesMessageQueue<CompactMessageList>
{
    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new CompactMessageList();
}

/// <summary>The mailbox of actors that stash, persistent actors among them (reference.conf): <see cref="CompactDequeMessageList"/>.</summary>
public sealed class CompactDequeMailbox(Settings settings, Config config) : MailboxType(settings, config), IProducesMessageQueue<CompactDequeMessageList>
{
    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new CompactDequeMessageList();
}
