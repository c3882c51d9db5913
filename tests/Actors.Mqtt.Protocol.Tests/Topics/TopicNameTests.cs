using Actors.Mqtt.Protocol.Topics;

namespace Actors.Mqtt.Protocol.Tests.Topics;

public class TopicNameTests
{
    private static void AssertInvalid(string topic, string specId)
    {
        Assert.False(TopicName.TryValidate(topic, out var error));
        Assert.Equal(ReasonCode.TopicNameInvalid, error.ReasonCode);
        Assert.Equal(specId, error.SpecId);
        Assert.False(string.IsNullOrEmpty(error.Message));
    }

    [Fact]
    [Trait("spec", "MQTT-4.7.3-1")]
    public void MQTT_4_7_3_1_empty_topic_name_is_invalid() => AssertInvalid("", "MQTT-4.7.3-1");

    [Theory]
    [Trait("spec", "MQTT-4.7.3-1")]
    [InlineData("/")]
    [InlineData("a")]
    [InlineData("Accounts payable")]
    [InlineData("/finance")]
    [InlineData("finance")]
    [InlineData("sport/tennis/player1")]
    [InlineData("sport/tennis/player1/score/wimbledon")]
    [InlineData("sport/")]
    [InlineData("a//b")]
    [InlineData("$SYS/monitor/Clients")]
    [InlineData("caf\u00e9/\u20ac/\U0001F600")]
    public void MQTT_4_7_3_1_topic_names_of_at_least_one_character_are_valid(string topic)
    {
        Assert.True(TopicName.TryValidate(topic, out var error));
        Assert.Equal(default, error);
    }

    [Trait("spec", "MQTT-4.7.0-1")]
    [Theory]
    [Trait("spec", "MQTT-3.3.2-2")]
    [InlineData("+")]
    [InlineData("#")]
    [InlineData("sport/+")]
    [InlineData("sport/tennis/#")]
    [InlineData("sport+")]
    [InlineData("a#b")]
    public void MQTT_3_3_2_2_topic_name_must_not_contain_wildcards(string topic) =>
        AssertInvalid(topic, "MQTT-3.3.2-2");

    [Theory]
    [Trait("spec", "MQTT-4.7.3-2")]
    [InlineData("\0")]
    [InlineData("a\0b")]
    [InlineData("sport/\0")]
    public void MQTT_4_7_3_2_topic_name_must_not_contain_null_character(string topic) =>
        AssertInvalid(topic, "MQTT-4.7.3-2");

    // Attribute arguments are stored as UTF-8 in metadata, which turns a lone surrogate into U+FFFD, so these
    // strings have to be built at run time and kept out of discovery, where xunit would serialize them.
    public static TheoryData<string> LoneSurrogates => new() { "a\ud800", "\udc00a", "\udc00\ud800", "x/\ud83d/y" };

    [Theory]
    [Trait("spec", "MQTT-1.5.4-1")]
    [MemberData(nameof(LoneSurrogates), DisableDiscoveryEnumeration = true)]
    public void MQTT_1_5_4_1_topic_name_with_lone_surrogate_is_invalid(string topic) =>
        AssertInvalid(topic, "MQTT-1.5.4-1");

    [Theory]
    [Trait("spec", "MQTT-4.7.3-3")]
    [InlineData("a", 65_535, true)]
    [InlineData("a", 65_536, false)]
    [InlineData("\u00e9", 32_767, true)]
    [InlineData("\u00e9", 32_768, false)]
    [InlineData("\u20ac", 21_845, true)]
    [InlineData("\u20ac", 21_846, false)]
    [InlineData("\U0001F600", 16_383, true)]
    [InlineData("\U0001F600", 16_384, false)]
    public void MQTT_4_7_3_3_topic_name_is_at_most_65535_utf8_bytes(string unit, int repeat, bool valid)
    {
        var topic = string.Concat(Enumerable.Repeat(unit, repeat));
        if (valid)
        {
            Assert.True(TopicName.TryValidate(topic, out _));
        }
        else
        {
            AssertInvalid(topic, "MQTT-4.7.3-3");
        }
    }

    [Fact]
    public void Null_topic_name_throws() =>
        Assert.Throws<ArgumentNullException>(() => TopicName.TryValidate(null!, out _));

    [Theory]
    [Trait("spec", "MQTT-4.7.2-1")]
    [InlineData("$SYS/monitor/Clients", true)]
    [InlineData("$", true)]
    [InlineData("SYS/monitor", false)]
    [InlineData("/$SYS", false)]
    [InlineData("", false)]
    public void MQTT_4_7_2_1_dollar_topics_are_system_topics(string topic, bool expected) =>
        Assert.Equal(expected, TopicName.IsSystemTopic(topic));
}
