using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Protocol.Topics;
using CsCheck;

namespace Actors.Mqtt.Broker.Tests.Routing;

public class RetainedMessageIndexTests
{
    private readonly RetainedMessageIndex<string> index = new();

    private string[] Match(string filter)
    {
        var results = new List<KeyValuePair<string, string>>();
        index.Match(Subscriptions.Filter(filter), results);
        Assert.All(results, r => Assert.Equal("m:" + r.Key, r.Value));
        return [.. results.Select(r => r.Key).Order(StringComparer.Ordinal)];
    }

    private void Retain(params string[] topicNames)
    {
        foreach (var topicName in topicNames)
        {
            index.Set(topicName, "m:" + topicName);
        }
    }

    [Fact]
    [Trait("spec", "MQTT-4.7.1-1")]
    [Trait("spec", "MQTT-4.7.1-2")]
    public void Wildcards_select_the_topics_of_the_spec_examples()
    {
        Retain("sport", "sport/", "sport/tennis/player1", "sport/tennis/player1/ranking",
            "sport/tennis/player1/score/wimbledon", "sport/tennis/player2", "/finance", "finance", "a//c");

        Assert.Equal(
            ["sport/tennis/player1", "sport/tennis/player1/ranking", "sport/tennis/player1/score/wimbledon"],
            Match("sport/tennis/player1/#"));
        Assert.Equal(["sport/tennis/player1", "sport/tennis/player2"], Match("sport/tennis/+"));
        Assert.Equal(["sport", "sport/", "sport/tennis/player1", "sport/tennis/player1/ranking",
            "sport/tennis/player1/score/wimbledon", "sport/tennis/player2"], Match("sport/#"));
        Assert.Equal(["sport/"], Match("sport/+"));
        Assert.Equal(["/finance", "sport/"], Match("+/+"));
        Assert.Equal(["/finance"], Match("/+"));
        Assert.Equal(["finance", "sport"], Match("+"));
        Assert.Equal(["a//c"], Match("a/+/c"));
        Assert.Equal(["finance"], Match("finance"));
        Assert.Empty(Match("Finance"));
        Assert.Empty(Match("sport/tennis"));
    }

    [Fact]
    public void MQTT_4_7_2_1_wildcards_at_the_first_level_do_not_reach_dollar_topics()
    {
        Retain("$SYS/monitor/Clients", "$SYS", "a/$b", "c");

        Assert.Equal(["a/$b", "c"], Match("#"));
        Assert.Equal(["a/$b", "c"], Match("+/#"));
        Assert.Empty(Match("+/monitor/Clients"));
        Assert.Equal(["$SYS", "$SYS/monitor/Clients"], Match("$SYS/#"));
        Assert.Equal(["$SYS/monitor/Clients"], Match("$SYS/monitor/+"));
        Assert.Equal(["a/$b"], Match("a/+"));
    }

    [Fact]
    public void A_shared_filter_matches_with_the_filter_after_the_share_name()
    {
        Retain("a/b");

        Assert.Equal(["a/b"], Match("$share/g/a/+"));
    }

    [Fact]
    public void Set_replaces_the_message_of_a_topic_and_Clear_removes_it()
    {
        index.Set("a/b", "first");
        index.Set("a/b", "second");
        Assert.Equal(1, index.Count);

        var results = new List<KeyValuePair<string, string>>();
        index.Match(Subscriptions.Filter("a/b"), results);
        Assert.Equal(new KeyValuePair<string, string>("a/b", "second"), Assert.Single(results));

        Assert.False(index.Clear("a"));
        Assert.False(index.Clear("a/b/c"));
        Assert.True(index.Clear("a/b"));
        Assert.False(index.Clear("a/b"));
        Assert.Equal(0, index.Count);
        Assert.Empty(Match("#"));
    }

    [Fact]
    public void Clearing_a_topic_keeps_the_topics_above_and_below_it()
    {
        Retain("a", "a/b", "a/b/c");

        index.Clear("a/b");

        Assert.Equal(["a", "a/b/c"], Match("#"));
        Assert.Equal(2, index.Count);
    }

    [Fact]
    public void Clearing_every_topic_prunes_the_index_back_to_its_root()
    {
        for (var i = 0; i < 10_000; i++)
        {
            Retain($"t/{i / 100}/{i % 100}", $"/{i}//x");
        }

        Assert.Equal(20_000, index.Count);
        for (var i = 0; i < 10_000; i++)
        {
            Assert.True(index.Clear($"t/{i / 100}/{i % 100}"));
            Assert.True(index.Clear($"/{i}//x"));
        }

        Assert.Equal(0, index.Count);
        Assert.Equal(1, index.NodeCount);
    }

    [Fact]
    public void A_topic_of_thousands_of_empty_levels_is_matched_without_recursion()
    {
        var deep = new string('/', ushort.MaxValue);
        Retain(deep);

        Assert.Equal([deep], Match("#"));
        Assert.Equal([deep], Match("+/#"));
        Assert.Equal([deep], Match(deep));
        Assert.True(index.Clear(deep));
        Assert.Equal(1, index.NodeCount);
    }

    [Fact]
    public void Match_agrees_with_matching_every_retained_topic_one_by_one()
    {
        var level = Gen.OneOf("a", "b", string.Empty, "$x");
        var topicName = level.Array[1, 4].Select(levels => string.Join('/', levels)).Where(t => t.Length > 0);
        var filter = Gen.Select(
                Gen.Frequency((3, level), (1, Gen.Const("+"))).Array[0, 4],
                Gen.Bool,
                (levels, multiLevel) => string.Join('/', multiLevel ? [.. levels, "#"] : levels))
            .Where(f => f.Length > 0);

        Gen.Select(topicName.Array[0, 20], topicName.Array[0, 5], filter).Sample(
            (retained, cleared, filterText) =>
            {
                var local = new RetainedMessageIndex<string>();
                foreach (var topic in retained)
                {
                    local.Set(topic, topic);
                }

                foreach (var topic in cleared)
                {
                    local.Clear(topic);
                }

                var expected = retained.Except(cleared).Where(t => TopicMatcher.Matches(filterText, t)).Order(StringComparer.Ordinal);
                var results = new List<KeyValuePair<string, string>>();
                local.Match(Subscriptions.Filter(filterText), results);

                Assert.Equal(retained.Except(cleared).Count(), local.Count);
                Assert.Equal(expected, results.Select(r => r.Key).Order(StringComparer.Ordinal));
            },
            iter: 3_000);
    }
}
