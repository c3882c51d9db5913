using Actors.Mqtt.Broker.Persistence;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Microsoft.Extensions.Time.Testing;

namespace Actors.Mqtt.Broker.Tests.Routing;

/// <summary>
/// A retained message past its Message Expiry Interval is not handed to new subscriptions, by the broker's clock: the
/// test moves a fake one instead of waiting.
/// </summary>
public sealed class RetainedExpiryTests : TestKit
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);

    [Fact]
    public void A_retained_message_is_handed_out_until_its_expiry_passes_on_the_broker_clock()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var store = Sys.ActorOf(RetainedStoreActor.Props(new StoreSettings(), time));
        var message = new PublishPacket
        {
            Topic = "status/door",
            Payload = new byte[] { 1 },
            Retain = true,
            Properties = new MqttProperties { MessageExpiryInterval = 5 },
        };
        store.Tell(new StoreRetained(message, time.Milliseconds()));

        time.Advance(TimeSpan.FromSeconds(4));
        store.Tell(new QueryRetained([Subscriptions.Of("reader", "status/#")]));
        Assert.Single(ExpectMsg<RetainedMatches>(Generous).Messages);

        time.Advance(TimeSpan.FromSeconds(1));
        store.Tell(new QueryRetained([Subscriptions.Of("reader", "status/#")]));
        Assert.Empty(ExpectMsg<RetainedMatches>(Generous).Messages);
    }
}
