using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Protocol;

namespace Actors.Mqtt.Broker.Tests.Routing;

public class SubscriptionTests
{
    [Theory]
    [InlineData("a/b")]
    [InlineData("$share/group/a/+")]
    [InlineData("$share/g/#")]
    [InlineData("$SYS/#")]
    public void FilterText_is_the_text_the_client_subscribed_with(string text) =>
        Assert.Equal(text, Subscriptions.Of("c", text).FilterText);

    [Fact]
    public void Without_shared_subscriptions_a_share_prefix_is_kept_as_part_of_the_filter()
    {
        var subscription = new Subscription("c", Subscriptions.Filter("$share/g/a", allowShared: false), QualityOfService.AtMostOnce);

        Assert.Equal("$share/g/a", subscription.FilterText);
        Assert.Null(subscription.Filter.ShareName);
    }

    [Fact]
    public void FilterText_follows_a_filter_changed_by_with()
    {
        var subscription = Subscriptions.Of("c", "a/b") with { Filter = Subscriptions.Filter("$share/g/x") };

        Assert.Equal("$share/g/x", subscription.FilterText);
    }
}
