using Actors.Mqtt.Broker.Mailboxes;
using Akka.Actor;

namespace Actors.Mqtt.Broker.Tests.Mailboxes;

/// <summary>Messages an actor stashed come back in the order they arrived, ahead of those that came after.</summary>
public sealed class StashOrderTests
{
    [Fact]
    public async Task Unstashed_messages_keep_their_order_and_come_before_later_ones()
    {
        var system = ActorSystem.Create("stash", MqttBroker.PrepareConfig(BrokerSettings.Reference));
        try
        {
            var probe = new TaskCompletionSource<List<int>>();
            var actor = system.ActorOf(Props.Create(() => new Stasher(probe)));
            for (var i = 1; i <= 5; i++)
            {
                actor.Tell(i);
            }

            actor.Tell("open");
            for (var i = 6; i <= 8; i++)
            {
                actor.Tell(i);
            }

            Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], await probe.Task.WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.IsType<CompactDequeMessageList>(((ActorCell)((ActorRefWithCell)actor).Underlying).Mailbox!.MessageQueue);
        }
        finally
        {
            await system.Terminate();
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
