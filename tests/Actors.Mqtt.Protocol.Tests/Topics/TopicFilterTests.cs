using Actors.Mqtt.Protocol.Topics;

namespace Actors.Mqtt.Protocol.Tests.Topics;

public class TopicFilterTests
{
    private static TopicFilter AssertValid(string text, bool allowShared = false)
    {
        Assert.True(TopicFilter.TryParse(text, allowShared, out var filter, out var error), error.ToString());
        Assert.Equal(default, error);
        return filter;
    }

    private static void AssertInvalid(string text, string specId, bool allowShared = false)
    {
        Assert.False(TopicFilter.TryParse(text, allowShared, out var filter, out var error));
        Assert.Equal(ReasonCode.TopicFilterInvalid, error.ReasonCode);
        Assert.Equal(specId, error.SpecId);
        Assert.False(string.IsNullOrEmpty(error.Message));
        Assert.Equal(default, filter);
    }

    [Theory]
    [Trait("spec", "MQTT-4.7.3-1")]
    [InlineData(false)]
    [InlineData(true)]
    public void MQTT_4_7_3_1_empty_topic_filter_is_invalid(bool allowShared) =>
        AssertInvalid("", "MQTT-4.7.3-1", allowShared);

    [Theory]
    [Trait("spec", "MQTT-4.7.3-1")]
    [InlineData("/")]
    [InlineData("Accounts payable")]
    [InlineData("/finance")]
    [InlineData("finance")]
    [InlineData("ACCOUNTS")]
    [InlineData("sport/tennis/player1")]
    [InlineData("a//b")]
    [InlineData("$SYS/monitor/Clients")]
    public void MQTT_4_7_3_1_filters_without_wildcards_are_valid_and_literal(string text)
    {
        var filter = AssertValid(text);
        Assert.Equal(text, filter.Filter);
        Assert.False(filter.HasWildcards);
        Assert.False(filter.IsShared);
        Assert.Null(filter.ShareName);
    }

    [Theory]
    [Trait("spec", "MQTT-4.7.1-1")]
    [InlineData("#")]
    [InlineData("sport/#")]
    [InlineData("sport/tennis/#")]
    [InlineData("sport/tennis/player1/#")]
    [InlineData("/#")]
    [InlineData("+/tennis/#")]
    [InlineData("$SYS/#")]
    public void MQTT_4_7_1_1_multi_level_wildcard_alone_or_after_separator_as_last_level_is_valid(string text)
    {
        var filter = AssertValid(text);
        Assert.Equal(text, filter.Filter);
        Assert.True(filter.HasWildcards);
    }

    [Theory]
    [Trait("spec", "MQTT-4.7.1-1")]
    [InlineData("sport#")]
    [InlineData("sport/tennis#")]
    [InlineData("sport/tennis/#/ranking")]
    [InlineData("#/")]
    [InlineData("##")]
    [InlineData("#/#")]
    [InlineData("sport/#x")]
    [InlineData("sport/x#")]
    [InlineData("#+")]
    public void MQTT_4_7_1_1_multi_level_wildcard_must_be_last(string text) => AssertInvalid(text, "MQTT-4.7.1-1");

    [Theory]
    [Trait("spec", "MQTT-4.7.1-2")]
    [InlineData("+")]
    [InlineData("+/x")]
    [InlineData("x/+/y")]
    [InlineData("x/+")]
    [InlineData("sport/tennis/+")]
    [InlineData("sport/+/player1")]
    [InlineData("+/+")]
    [InlineData("/+")]
    [InlineData("+/")]
    [InlineData("+/+/#")]
    [InlineData("$SYS/monitor/+")]
    public void MQTT_4_7_1_2_single_level_wildcard_occupying_a_whole_level_is_valid(string text)
    {
        var filter = AssertValid(text);
        Assert.Equal(text, filter.Filter);
        Assert.True(filter.HasWildcards);
    }

    [Theory]
    [Trait("spec", "MQTT-4.7.1-2")]
    [InlineData("sport+")]
    [InlineData("x+")]
    [InlineData("+x")]
    [InlineData("x/+y/z")]
    [InlineData("x/y+/z")]
    [InlineData("++")]
    [InlineData("+#")]
    public void MQTT_4_7_1_2_single_level_wildcard_must_occupy_a_whole_level(string text) =>
        AssertInvalid(text, "MQTT-4.7.1-2");

    [Theory]
    [Trait("spec", "MQTT-4.7.3-2")]
    [InlineData("\0")]
    [InlineData("sport/\0/#")]
    [InlineData("$share/g\0/x")]
    public void MQTT_4_7_3_2_topic_filter_must_not_contain_null_character(string text)
    {
        AssertInvalid(text, "MQTT-4.7.3-2");
        AssertInvalid(text, "MQTT-4.7.3-2", allowShared: true);
    }

    // Built at run time: a lone surrogate in an attribute argument would reach the test as U+FFFD.
    public static TheoryData<string> LoneSurrogates => new() { "sport/\ud800", "\udc00/#", "$share/\ud800/x" };

    [Theory]
    [Trait("spec", "MQTT-1.5.4-1")]
    [MemberData(nameof(LoneSurrogates), DisableDiscoveryEnumeration = true)]
    public void MQTT_1_5_4_1_topic_filter_with_lone_surrogate_is_invalid(string text)
    {
        AssertInvalid(text, "MQTT-1.5.4-1");
        AssertInvalid(text, "MQTT-1.5.4-1", allowShared: true);
    }

    [Theory]
    [Trait("spec", "MQTT-4.7.3-3")]
    [InlineData("a", 65_533, true)]
    [InlineData("a", 65_534, false)]
    [InlineData("\u20ac", 21_844, true)]
    [InlineData("\u20ac", 21_845, false)]
    public void MQTT_4_7_3_3_topic_filter_is_at_most_65535_utf8_bytes(string unit, int repeat, bool valid)
    {
        // Two more bytes for "/#", so that the wildcard check cannot be what rejects or accepts it.
        var text = string.Concat(Enumerable.Repeat(unit, repeat)) + "/#";
        if (valid)
        {
            Assert.True(AssertValid(text).HasWildcards);
        }
        else
        {
            AssertInvalid(text, "MQTT-4.7.3-3");
        }
    }

    [Fact]
    [Trait("spec", "MQTT-4.7.3-3")]
    public void MQTT_4_7_3_3_shared_prefix_counts_towards_65535_utf8_bytes()
    {
        var filterPart = new string('a', TopicName.MaxByteLength - "$share/g/".Length);
        Assert.Equal("g", AssertValid("$share/g/" + filterPart, allowShared: true).ShareName);
        AssertInvalid("$share/g/" + filterPart + "a", "MQTT-4.7.3-3", allowShared: true);
    }

    [Theory]
    [Trait("spec", "MQTT-4.8.2-1")]
    [InlineData("$share/consumer1/sport/tennis/+", "consumer1", "sport/tennis/+", true)]
    [InlineData("$share/consumer2/sport/tennis/+", "consumer2", "sport/tennis/+", true)]
    [InlineData("$share/consumer1//finance", "consumer1", "/finance", false)]
    [InlineData("$share/g/#", "g", "#", true)]
    [InlineData("$share/g/+", "g", "+", true)]
    [InlineData("$share/g//", "g", "/", false)]
    [InlineData("$share/$share/x", "$share", "x", false)]
    [InlineData("$share/g/$share/h/x", "g", "$share/h/x", false)]
    [InlineData("$share/caf\u00e9/x", "caf\u00e9", "x", false)]
    public void MQTT_4_8_2_1_shared_subscription_splits_share_name_and_filter(
        string text, string shareName, string filterPart, bool hasWildcards)
    {
        var filter = AssertValid(text, allowShared: true);
        Assert.True(filter.IsShared);
        Assert.Equal(shareName, filter.ShareName);
        Assert.Equal(filterPart, filter.Filter);
        Assert.Equal(hasWildcards, filter.HasWildcards);
    }

    [Theory]
    [Trait("spec", "MQTT-4.8.2-1")]
    [InlineData("$share/")]
    [InlineData("$share//x")]
    [InlineData("$share//")]
    public void MQTT_4_8_2_1_share_name_must_have_at_least_one_character(string text) =>
        AssertInvalid(text, "MQTT-4.8.2-1", allowShared: true);

    [Theory]
    [Trait("spec", "MQTT-4.8.2-2")]
    [InlineData("$share/gr+oup/x")]
    [InlineData("$share/+/x")]
    [InlineData("$share/group#/x")]
    [InlineData("$share/#")]
    [InlineData("$share/+")]
    public void MQTT_4_8_2_2_share_name_must_not_contain_wildcards(string text) =>
        AssertInvalid(text, "MQTT-4.8.2-2", allowShared: true);

    [Theory]
    [Trait("spec", "MQTT-4.8.2-2")]
    [InlineData("$share/group")]
    [InlineData("$share/group/")]
    public void MQTT_4_8_2_2_share_name_must_be_followed_by_slash_and_a_filter(string text) =>
        AssertInvalid(text, "MQTT-4.8.2-2", allowShared: true);

    [Theory]
    [Trait("spec", "MQTT-4.8.2-2")]
    [InlineData("$share/g/sport#", "MQTT-4.7.1-1")]
    [InlineData("$share/g/#/x", "MQTT-4.7.1-1")]
    [InlineData("$share/g/sport+", "MQTT-4.7.1-2")]
    [InlineData("$share/g/x/+y", "MQTT-4.7.1-2")]
    public void MQTT_4_8_2_2_filter_of_a_shared_subscription_follows_the_wildcard_rules(string text, string specId) =>
        AssertInvalid(text, specId, allowShared: true);

    [Theory]
    [Trait("spec", "MQTT-4.8.2-1")]
    [InlineData("$share/consumer1/sport/tennis/+", true)]
    [InlineData("$share/group", false)]
    [InlineData("$share//x", false)]
    [InlineData("$share/", false)]
    public void MQTT_4_8_2_1_without_shared_subscriptions_share_prefix_is_an_ordinary_filter(string text, bool hasWildcards)
    {
        var filter = AssertValid(text, allowShared: false);
        Assert.False(filter.IsShared);
        Assert.Null(filter.ShareName);
        Assert.Equal(text, filter.Filter);
        Assert.Equal(hasWildcards, filter.HasWildcards);
    }

    [Theory]
    [Trait("spec", "MQTT-4.8.2-1")]
    [InlineData("$share")]
    [InlineData("$SHARE/g/x")]
    [InlineData("$shared/g/x")]
    [InlineData("x/$share/g/y")]
    public void MQTT_4_8_2_1_only_the_exact_share_prefix_starts_a_shared_subscription(string text)
    {
        var filter = AssertValid(text, allowShared: true);
        Assert.False(filter.IsShared);
        Assert.Equal(text, filter.Filter);
    }

    [Theory]
    [Trait("spec", "MQTT-4.8.2-1")]
    [InlineData("$share/g/sport/tennis/+", "sport/tennis/player1", true)]
    [InlineData("$share/g/sport/tennis/+", "$share/g/sport/tennis/player1", false)]
    [InlineData("$share/g/+", "g", true)]
    [InlineData("$share/g/+", "x", true)]
    [InlineData("$share/g/#", "$share/g/x", false)]
    [InlineData("$share/g/x", "$share/g/x", false)]
    public void MQTT_4_8_2_1_shared_subscription_matches_with_the_filter_after_the_share_name(
        string text, string topicName, bool expected) =>
        Assert.Equal(expected, AssertValid(text, allowShared: true).Matches(topicName));

    [Fact]
    public void Null_arguments_throw()
    {
        Assert.Throws<ArgumentNullException>(() => TopicFilter.TryParse(null!, allowShared: true, out _, out _));
        Assert.Throws<ArgumentNullException>(() => AssertValid("#").Matches(null!));
    }
}
