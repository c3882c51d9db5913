using Actors.Mqtt.Broker.Mailboxes;
using Akka.Actor;
using Akka.Persistence;

namespace Actors.Mqtt.Broker.Tests.Mailboxes;

/// <summary>The broker's configuration gives its actors the compact mailboxes, persistent ones the stashing kind.</summary>
public sealed class MailboxConfigurationTests
{
    [Fact]
    public async Task Plain_actors_get_the_compact_mailbox_and_persistent_actors_the_compact_stashing_one()
    {
        var system = ActorSystem.Create("mailboxes", MqttBroker.PrepareConfig(BrokerSettings.Reference));
        try
        {
            var plain = system.ActorOf(Props.Create(() => new Echo()));
            var persistent = system.ActorOf(Props.Create(() => new PersistentEcho()));

            Assert.Equal("ok", await plain.Ask<string>("ok", TimeSpan.FromSeconds(10)));
            Assert.Equal("ok", await persistent.Ask<string>("ok", TimeSpan.FromSeconds(10)));
            Assert.IsType<CompactMessageList>(QueueOf(plain));
            Assert.IsType<CompactDequeMessageList>(QueueOf(persistent));
        }
        finally
        {
            await system.Terminate();
        }
    }

    private static object QueueOf(IActorRef actor) => ((ActorCell)((ActorRefWithCell)actor).Underlying).Mailbox!.MessageQueue;

    private sealed class Echo : UntypedActor
    {
        protected override void OnReceive(object message) => Sender.Tell(message);
    }

    private sealed class PersistentEcho : UntypedPersistentActor
    {
        public override string PersistenceId => "mailbox-test";

        protected override void OnCommand(object message) => Sender.Tell(message);

        protected override void OnRecover(object message)
        {
        }
    }
}
