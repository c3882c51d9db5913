using Actors.Mqtt.Broker.Mailboxes;
using Akka.Actor;
using Akka.Persistence;

namespace Actors.Mqtt.Broker.Tests.Mailboxes;

/// <summary>
/// The broker's configuration gives its actors the compact mailboxes, persistent and stashing ones the stashing kind,
/// which hands stashed messages back in the order they arrived.
/// </summary>
public sealed class MailboxConfigurationTests : IAsyncLifetime
{
    private readonly ActorSystem system = ActorSystem.Create("mailboxes", MqttBroker.PrepareConfig(BrokerSettings.Reference));

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => system.Terminate();

    [Fact]
    public async Task Plain_actors_get_the_compact_mailbox_and_persistent_actors_the_compact_stashing_one()
    {
        var plain = system.ActorOf(Props.Create(() => new Echo()));
        var persistent = system.ActorOf(Props.Create(() => new PersistentEcho()));

        Assert.Equal("ok", await plain.Ask<string>("ok", TimeSpan.FromSeconds(10)));
        Assert.Equal("ok", await persistent.Ask<string>("ok", TimeSpan.FromSeconds(10)));
        Assert.IsType<CompactMessageList>(QueueOf(plain));
        Assert.IsType<CompactDequeMessageList>(QueueOf(persistent));
    }

    [Fact]
    public async Task Unstashed_messages_keep_their_order_and_come_before_later_ones()
    {
        var seen = new TaskCompletionSource<List<int>>();
        var actor = system.ActorOf(Props.Create(() => new Stasher(seen)));
        for (var i = 1; i <= 5; i++)
        {
            actor.Tell(i);
        }

        actor.Tell("open");
        for (var i = 6; i <= 8; i++)
        {
            actor.Tell(i);
        }

        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], await seen.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.IsType<CompactDequeMessageList>(QueueOf(actor));
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

    private sealed class Stasher(TaskCompletionSource<List<int>> done) : UntypedActor, IWithUnboundedStash
    {
        private readonly List<int> seen = [];
        private bool open;

        public IStash Stash { get; set; } = null!;

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case "open":
                    open = true;
                    Stash.UnstashAll();
                    return;
                case int when !open:
                    Stash.Stash();
                    return;
                case int n:
                    seen.Add(n);
                    if (seen.Count == 8)
                    {
                        done.TrySetResult(seen);
                    }

                    return;
            }
        }
    }
}
