using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Protocol;

namespace Actors.Mqtt.Broker.Tests.Routing;

public class SubscriptionTrieTests
{
    private const QualityOfService Qos0 = QualityOfService.AtMostOnce;
    private const QualityOfService Qos1 = QualityOfService.AtLeastOnce;
    private const QualityOfService Qos2 = QualityOfService.ExactlyOnce;

    private readonly SubscriptionTrie trie = new(new RoundRobinPicker());

    private List<Delivery> Match(string topicName, string? publisher = null)
    {
        var deliveries = new List<Delivery>();
        trie.Match(topicName, publisher, deliveries);
        return deliveries;
    }

    private bool Matches(string filter, string topicName)
    {
        trie.Add(Subscriptions.Of("c", filter));
        return Match(topicName).Count switch
        {
            0 => false,
            1 => true,
            var n => throw new InvalidOperationException($"{n} deliveries for one subscription"),
        };
    }

    [Theory]
    [Trait("spec", "MQTT-4.7.1-1")]
    [InlineData("sport/tennis/player1/#", "sport/tennis/player1", true)]
    [InlineData("sport/tennis/player1/#", "sport/tennis/player1/ranking", true)]
    [InlineData("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true)]
    [InlineData("sport/tennis/player1/#", "sport/tennis/player2", false)]
    [InlineData("sport/tennis/player1/#", "sport/tennis", false)]
    [InlineData("sport/#", "sport", true)]
    [InlineData("sport/#", "sport/", true)]
    [InlineData("sport/#", "sports", false)]
    [InlineData("#", "sport/tennis", true)]
    [InlineData("#", "/", true)]
    [InlineData("/#", "finance", false)]
    [InlineData("+/tennis/#", "sport/tennis", true)]
    [InlineData("+/#", "a", true)]
    public void MQTT_4_7_1_1_multi_level_wildcard_matches_the_parent_and_any_number_of_child_levels(
        string filter, string topicName, bool expected) =>
        Assert.Equal(expected, Matches(filter, topicName));

    [Theory]
    [Trait("spec", "MQTT-4.7.1-2")]
    [InlineData("sport/tennis/+", "sport/tennis/player1", true)]
    [InlineData("sport/tennis/+", "sport/tennis/player1/ranking", false)]
    [InlineData("sport/+", "sport", false)]
    [InlineData("sport/+", "sport/", true)]
    [InlineData("+", "/finance", false)]
    [InlineData("+/+", "/finance", true)]
    [InlineData("/+", "/finance", true)]
    [InlineData("a/+/c", "a//c", true)]
    [InlineData("+/+/+", "//", true)]
    [InlineData("+", "a", true)]
    public void MQTT_4_7_1_2_single_level_wildcard_matches_exactly_one_level_even_an_empty_one(
        string filter, string topicName, bool expected) =>
        Assert.Equal(expected, Matches(filter, topicName));

    [Theory]
    [InlineData("ACCOUNTS", "Accounts", false)]
    [InlineData("Accounts payable", "Accounts payable", true)]
    [InlineData("/finance", "finance", false)]
    [InlineData("a//b", "a/b", false)]
    [InlineData("a//b", "a//b", true)]
    [InlineData("a/", "a", false)]
    public void Literal_levels_match_character_for_character_and_empty_levels_count(
        string filter, string topicName, bool expected) =>
        Assert.Equal(expected, Matches(filter, topicName));

    [Theory]
    [Trait("spec", "MQTT-4.7.2-1")]
    [InlineData("#", "$SYS/monitor/Clients", false)]
    [InlineData("+/monitor/Clients", "$SYS/monitor/Clients", false)]
    [InlineData("+/#", "$SYS", false)]
    [InlineData("$SYS/#", "$SYS/monitor/Clients", true)]
    [InlineData("$SYS/#", "$SYS", true)]
    [InlineData("$SYS/monitor/+", "$SYS/monitor/Clients", true)]
    [InlineData("$share/g/#", "$SYS/x", false)]
    [InlineData("$share/g/$SYS/+", "$SYS/x", true)]
    [InlineData("a/+", "a/$b", true)]
    [InlineData("a/#", "a/$b", true)]
    public void MQTT_4_7_2_1_wildcards_at_the_first_level_do_not_match_dollar_topics(
        string filter, string topicName, bool expected) =>
        Assert.Equal(expected, Matches(filter, topicName));

    [Fact]
    [Trait("spec", "MQTT-3.3.4-3")]
    [Trait("spec", "MQTT-3.3.4-4")]
    public void MQTT_3_3_4_2_overlapping_subscriptions_give_one_delivery_at_the_highest_QoS_with_every_identifier()
    {
        trie.Add(Subscriptions.Of("c", "a/b", Qos0, id: 1));
        trie.Add(Subscriptions.Of("c", "a/+", Qos2, id: 2));
        trie.Add(Subscriptions.Of("c", "#", Qos1, id: 3));

        var delivery = Assert.Single(Match("a/b"));

        Assert.Equal("c", delivery.ClientId);
        Assert.Equal(Qos2, delivery.MaximumQoS);
        Assert.Equal([1, 2, 3], delivery.SubscriptionIdentifiers.Order());
    }

    [Fact]
    [Trait("spec", "MQTT-3.3.4-4")]
    public void Only_matching_subscriptions_that_have_an_identifier_contribute_one()
    {
        trie.Add(Subscriptions.Of("c", "a/b", Qos1));
        trie.Add(Subscriptions.Of("c", "a/+", Qos0, id: 7));
        trie.Add(Subscriptions.Of("c", "b/#", Qos2, id: 8));
        trie.Add(Subscriptions.Of("d", "a/b", Qos0));

        var deliveries = Match("a/b").ToDictionary(d => d.ClientId);

        Assert.Equal(2, deliveries.Count);
        Assert.Equal([7], deliveries["c"].SubscriptionIdentifiers);
        Assert.Equal(Qos1, deliveries["c"].MaximumQoS);
        Assert.Empty(deliveries["d"].SubscriptionIdentifiers);
    }

    [Fact]
    public void Retain_as_published_holds_when_any_matching_subscription_asks_for_it()
    {
        trie.Add(Subscriptions.Of("c", "a/b"));
        trie.Add(Subscriptions.Of("c", "a/+") with { RetainAsPublished = true });
        trie.Add(Subscriptions.Of("d", "a/b"));

        var deliveries = Match("a/b").ToDictionary(d => d.ClientId);

        Assert.True(deliveries["c"].RetainAsPublished);
        Assert.False(deliveries["d"].RetainAsPublished);
    }

    [Fact]
    public void Deliveries_are_appended_after_what_the_list_already_holds()
    {
        trie.Add(Subscriptions.Of("c", "a"));
        trie.Add(Subscriptions.Of("c", "+"));
        var earlier = new Delivery("other", Qos0, false, []);
        var deliveries = new List<Delivery> { earlier };

        trie.Match("a", null, deliveries);
        trie.Match("a", null, deliveries);

        Assert.Equal(3, deliveries.Count);
        Assert.Equal(earlier, deliveries[0]);
        Assert.All(deliveries.Skip(1), d => Assert.Equal("c", d.ClientId));
    }

    [Fact]
    public void MQTT_3_8_3_3_no_local_keeps_the_publishers_own_messages_from_it()
    {
        trie.Add(Subscriptions.Of("publisher", "a/b") with { NoLocal = true });
        trie.Add(Subscriptions.Of("other", "a/b") with { NoLocal = true });

        Assert.Equal(["other"], Match("a/b", publisher: "publisher").Select(d => d.ClientId));
        Assert.Equal(["other", "publisher"], Match("a/b", publisher: null).Select(d => d.ClientId).Order());
    }

    [Fact]
    [Trait("spec", "MQTT-3.8.3-3")]
    public void No_local_skips_only_the_subscriptions_that_ask_for_it()
    {
        trie.Add(Subscriptions.Of("publisher", "a/b", Qos2, id: 1) with { NoLocal = true });
        trie.Add(Subscriptions.Of("publisher", "a/+", Qos0, id: 2));

        var delivery = Assert.Single(Match("a/b", publisher: "publisher"));

        Assert.Equal(Qos0, delivery.MaximumQoS);
        Assert.Equal([2], delivery.SubscriptionIdentifiers);
    }

    [Fact]
    public void No_local_does_not_apply_to_a_shared_subscription()
    {
        trie.Add(Subscriptions.Of("publisher", "$share/g/a") with { NoLocal = true });

        Assert.Equal("publisher", Assert.Single(Match("a", publisher: "publisher")).ClientId);
    }

    [Fact]
    public void Round_robin_gives_each_of_three_members_one_of_every_three_messages()
    {
        foreach (var member in new[] { "m1", "m2", "m3" })
        {
            trie.Add(Subscriptions.Of(member, "$share/g/sensors/+"));
        }

        for (var round = 0; round < 4; round++)
        {
            var receivers = Enumerable.Range(0, 3).Select(_ => Assert.Single(Match("sensors/t")).ClientId);
            Assert.Equal(["m1", "m2", "m3"], receivers.Order());
        }
    }

    [Fact]
    public void When_a_member_leaves_its_share_goes_to_the_others()
    {
        foreach (var member in new[] { "m1", "m2", "m3" })
        {
            trie.Add(Subscriptions.Of(member, "$share/g/a"));
        }

        Match("a");
        Assert.True(trie.Remove("m2", "$share/g/a"));

        for (var round = 0; round < 3; round++)
        {
            var receivers = Enumerable.Range(0, 2).Select(_ => Assert.Single(Match("a")).ClientId);
            Assert.Equal(["m1", "m3"], receivers.Order());
        }
    }

    [Fact]
    public void A_shared_delivery_comes_in_addition_to_the_clients_own_delivery()
    {
        trie.Add(Subscriptions.Of("c", "a/b", Qos0, id: 1));
        trie.Add(Subscriptions.Of("c", "$share/g/a/+", Qos2, id: 2));

        var deliveries = Match("a/b").OrderBy(d => d.MaximumQoS).ToList();

        Assert.Equal(2, deliveries.Count);
        Assert.All(deliveries, d => Assert.Equal("c", d.ClientId));
        Assert.Equal([1], deliveries[0].SubscriptionIdentifiers);
        Assert.Equal([2], deliveries[1].SubscriptionIdentifiers);
    }

    [Fact]
    public void Every_matching_share_group_delivers_once()
    {
        trie.Add(Subscriptions.Of("c", "$share/g1/a/b"));
        trie.Add(Subscriptions.Of("d", "$share/g1/a/b"));
        trie.Add(Subscriptions.Of("c", "$share/g2/a/b"));
        trie.Add(Subscriptions.Of("c", "$share/g1/a/+"));

        Assert.Equal(3, Match("a/b").Count);
    }

    [Fact]
    public void A_shared_delivery_carries_the_chosen_members_options()
    {
        trie.Add(Subscriptions.Of("c", "$share/g/a", Qos1, id: 5) with { RetainAsPublished = true });

        Assert.Equal(new Delivery("c", Qos1, true, [5]), Assert.Single(Match("a")), DeliveryComparer.Instance);
    }

    [Fact]
    public void A_group_hands_its_messages_to_connected_members_while_one_is_connected()
    {
        foreach (var member in new[] { "m1", "m2", "m3" })
        {
            trie.Add(Subscriptions.Of(member, "$share/g/a"));
        }

        trie.SetConnected("m2", false);

        var receivers = Enumerable.Range(0, 6).Select(_ => Assert.Single(Match("a")).ClientId).ToList();
        Assert.Equal(["m1", "m1", "m1", "m3", "m3", "m3"], receivers.Order());

        trie.SetConnected("m1", false);
        trie.SetConnected("m3", false);
        receivers = Enumerable.Range(0, 6).Select(_ => Assert.Single(Match("a")).ClientId).ToList();
        Assert.Equal(["m1", "m1", "m2", "m2", "m3", "m3"], receivers.Order());

        trie.SetConnected("m2", true);
        Assert.All(Enumerable.Range(0, 3), _ => Assert.Equal("m2", Assert.Single(Match("a")).ClientId));
    }

    [Fact]
    public void A_copy_a_member_refused_goes_to_another_member_connected_ones_first()
    {
        foreach (var member in new[] { "m1", "m2", "m3" })
        {
            trie.Add(Subscriptions.Of(member, "$share/g/a/+", Qos1));
        }

        trie.SetConnected("m1", false);
        var first = Assert.Single(Match("a/b"));
        var group = Assert.IsType<SharedGroup>(first.Group);
        Assert.Equal(new SharedGroup("g", "a/+"), group);

        Assert.True(trie.TryPickAnother(group, ["m2"], out var next));
        Assert.Equal("m3", next.ClientId);
        Assert.Equal(group, next.Group);

        Assert.True(trie.TryPickAnother(group, ["m2", "m3"], out next));
        Assert.Equal("m1", next.ClientId);

        Assert.False(trie.TryPickAnother(group, ["m1", "m2", "m3"], out _));
        Assert.False(trie.TryPickAnother(new SharedGroup("other", "a/+"), [], out _));
    }

    [Fact]
    public void A_client_that_left_every_subscription_is_not_remembered_as_disconnected()
    {
        trie.Add(Subscriptions.Of("m1", "$share/g/a"));
        trie.SetConnected("m1", false);
        trie.RemoveClient("m1");
        trie.Add(Subscriptions.Of("m1", "$share/g/a"));
        trie.Add(Subscriptions.Of("m2", "$share/g/a"));
        trie.SetConnected("m2", false);

        Assert.All(Enumerable.Range(0, 3), _ => Assert.Equal("m1", Assert.Single(Match("a")).ClientId));
    }

    [Fact]
    public void A_picker_answer_outside_the_group_is_refused()
    {
        var broken = new SubscriptionTrie(new FixedPicker(3));
        broken.Add(Subscriptions.Of("c", "$share/g/a"));

        Assert.Throws<InvalidOperationException>(() => broken.Match("a", null, []));
    }

    [Fact]
    public void The_picker_forgets_a_group_when_its_last_member_leaves()
    {
        var picker = new FixedPicker(0);
        var trie2 = new SubscriptionTrie(picker);
        trie2.Add(Subscriptions.Of("c", "$share/g/a/#"));
        trie2.Add(Subscriptions.Of("d", "$share/g/a/#"));

        trie2.Remove("c", "$share/g/a/#");
        Assert.Empty(picker.Forgotten);
        trie2.RemoveClient("d");

        Assert.Equal([("g", "a/#")], picker.Forgotten);
    }

    [Fact]
    public void MQTT_3_8_4_3_subscribing_again_with_the_same_filter_replaces_the_subscription()
    {
        Assert.False(trie.Add(Subscriptions.Of("c", "a/+", Qos0, id: 1)));
        Assert.True(trie.Add(Subscriptions.Of("c", "a/+", Qos2, id: 2)));

        Assert.Equal(1, trie.Count);
        var delivery = Assert.Single(Match("a/b"));
        Assert.Equal(Qos2, delivery.MaximumQoS);
        Assert.Equal([2], delivery.SubscriptionIdentifiers);
    }

    [Fact]
    public void Subscribing_again_to_a_shared_subscription_replaces_the_membership()
    {
        trie.Add(Subscriptions.Of("c", "$share/g/a", Qos0));
        Assert.True(trie.Add(Subscriptions.Of("c", "$share/g/a", Qos1)));

        Assert.Equal(1, trie.Count);
        Assert.Equal(Qos1, Assert.Single(Match("a")).MaximumQoS);
    }

    [Fact]
    public void Replacing_a_shared_membership_keeps_the_groups_rotation()
    {
        trie.Add(Subscriptions.Of("m1", "$share/g/a"));
        trie.Add(Subscriptions.Of("m2", "$share/g/a"));
        Assert.Equal("m1", Assert.Single(Match("a")).ClientId);

        trie.Add(Subscriptions.Of("m1", "$share/g/a", Qos1));

        Assert.Equal("m2", Assert.Single(Match("a")).ClientId);
        Assert.Equal(new Delivery("m1", Qos1, false, []), Assert.Single(Match("a")), DeliveryComparer.Instance);
    }

    [Fact]
    public void A_replacement_read_without_shared_subscriptions_moves_to_its_own_filter()
    {
        trie.Add(Subscriptions.Of("c", "$share/g/a"));
        var asPlainFilter = new Subscription("c", Subscriptions.Filter("$share/g/a", allowShared: false), Qos1);

        Assert.True(trie.Add(asPlainFilter));

        Assert.Equal(1, trie.Count);
        Assert.Empty(Match("a"));
        Assert.Equal(Qos1, Assert.Single(Match("$share/g/a")).MaximumQoS);
    }

    [Fact]
    public void The_same_filter_of_different_clients_or_shared_and_not_are_separate_subscriptions()
    {
        Assert.False(trie.Add(Subscriptions.Of("c", "a/b")));
        Assert.False(trie.Add(Subscriptions.Of("d", "a/b")));
        Assert.False(trie.Add(Subscriptions.Of("c", "$share/g/a/b")));
        Assert.False(trie.Add(Subscriptions.Of("c", "$share/h/a/b")));

        Assert.Equal(4, trie.Count);
    }

    [Fact]
    public void MQTT_3_10_4_1_unsubscribe_removes_only_the_filter_with_exactly_the_same_text()
    {
        trie.Add(Subscriptions.Of("c", "a/b"));
        trie.Add(Subscriptions.Of("c", "$share/g/a/b"));

        Assert.False(trie.Remove("c", "a/+"));
        Assert.False(trie.Remove("c", "A/b"));
        Assert.False(trie.Remove("c", "a/b/"));
        Assert.False(trie.Remove("d", "a/b"));
        Assert.Equal(2, trie.Count);

        Assert.True(trie.Remove("c", "a/b"));
        Assert.False(trie.Remove("c", "a/b"));
        Assert.Equal(1, trie.Count);
        Assert.Single(Match("a/b"));

        Assert.True(trie.Remove("c", "$share/g/a/b"));
        Assert.Empty(Match("a/b"));
        Assert.Equal(0, trie.Count);
    }

    [Fact]
    public void RemoveClient_removes_every_subscription_of_that_client_only()
    {
        trie.Add(Subscriptions.Of("c", "a/b"));
        trie.Add(Subscriptions.Of("c", "a/#"));
        trie.Add(Subscriptions.Of("c", "$share/g/a/b"));
        trie.Add(Subscriptions.Of("d", "a/b"));

        Assert.Equal(3, trie.RemoveClient("c"));
        Assert.Equal(0, trie.RemoveClient("c"));

        Assert.Equal(1, trie.Count);
        Assert.Equal("d", Assert.Single(Match("a/b")).ClientId);
    }

    [Fact]
    public void Removing_every_subscription_prunes_the_trie_back_to_its_root()
    {
        for (var i = 0; i < 10_000; i++)
        {
            trie.Add(Subscriptions.Of($"c{i % 7}", FilterNumber(i)));
        }

        Assert.Equal(10_000, trie.Count);
        Assert.True(trie.NodeCount > 10_000);

        for (var i = 0; i < 10_000; i += 2)
        {
            Assert.True(trie.Remove($"c{i % 7}", FilterNumber(i)));
        }

        for (var client = 0; client < 7; client++)
        {
            trie.RemoveClient($"c{client}");
        }

        Assert.Equal(0, trie.Count);
        Assert.Equal(1, trie.NodeCount);
        Assert.Empty(Match("x/1/2"));
    }

    [Fact]
    public void Matching_topics_nobody_subscribed_to_adds_no_nodes()
    {
        trie.Add(Subscriptions.Of("all", "#"));
        trie.Add(Subscriptions.Of("telemetry", "+/telemetry"));
        trie.Add(Subscriptions.Of("one", "dev-1/telemetry"));
        var nodes = trie.NodeCount;

        for (var i = 0; i < 10_000; i++)
        {
            Match($"dev-{i}/telemetry/{i}");
            Match($"dev-{i}/telemetry");
        }

        Assert.Equal(nodes, trie.NodeCount);
    }

    // Distinct filters that share prefixes and use every kind of node.
    private static string FilterNumber(int i) => (i % 4) switch
    {
        0 => $"x/{i / 100}/{i % 100}",
        1 => $"x/+/{i}/#",
        2 => $"$share/g{i % 3}/y/{i}//+",
        _ => $"/{i}/#",
    };

    [Fact]
    public void Matching_allocates_nothing_beyond_the_deliveries()
    {
        for (var i = 0; i < 1_000; i++)
        {
            trie.Add(Subscriptions.Of($"c{i % 200}", $"site/{i % 10}/{(i % 3 == 0 ? "+" : "room" + i)}/temp", Qos1));
        }

        trie.Add(Subscriptions.Of("all", "#"));
        trie.Add(Subscriptions.Of("s1", "$share/g/site/+/+/temp"));
        trie.Add(Subscriptions.Of("s2", "$share/g/site/+/+/temp"));
        var deliveries = new List<Delivery>(capacity: 1_000);

        trie.Match("site/3/room33/temp", null, deliveries);
        deliveries.Clear();
        trie.Match("site/3/room33/temp", null, deliveries);
        var expected = deliveries.Count;
        deliveries.Clear();

        var before = GC.GetAllocatedBytesForCurrentThread();
        trie.Match("site/3/room33/temp", null, deliveries);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(expected, deliveries.Count);
        Assert.True(expected > 10, $"{expected} deliveries");
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Matching_allocates_only_the_identifier_lists_when_subscriptions_have_identifiers()
    {
        for (var i = 0; i < 1_000; i++)
        {
            trie.Add(Subscriptions.Of($"c{i}", i % 2 == 0 ? "a/+/c" : $"a/b/{i}", Qos1, id: i + 1));
        }

        var deliveries = new List<Delivery>(capacity: 1_000);
        trie.Match("a/b/c", null, deliveries);
        deliveries.Clear();

        var before = GC.GetAllocatedBytesForCurrentThread();
        trie.Match("a/b/c", null, deliveries);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(500, deliveries.Count);

        // One single-element int[] per delivery: header, length and one padded int.
        Assert.True(allocated <= deliveries.Count * 32L, $"{allocated} bytes");
    }

    [Fact]
    public void A_topic_of_thousands_of_empty_levels_matches_without_recursion()
    {
        var deep = new string('/', ushort.MaxValue);
        trie.Add(Subscriptions.Of("c", deep));
        trie.Add(Subscriptions.Of("d", "+" + new string('/', 1_000) + "#"));

        Assert.Equal(["c", "d"], Match(deep).Select(d => d.ClientId).Order());
        Assert.True(trie.Remove("c", deep));
        trie.RemoveClient("d");
        Assert.Equal(1, trie.NodeCount);
    }

    private sealed class FixedPicker(int index) : ISharedSubscriptionPicker
    {
        public List<(string Group, string Filter)> Forgotten { get; } = [];

        public int Pick(string group, string filter, int memberCount) => index;

        public void Forget(string group, string filter) => Forgotten.Add((group, filter));
    }

    private sealed class DeliveryComparer : IEqualityComparer<Delivery>
    {
        public static readonly DeliveryComparer Instance = new();

        public bool Equals(Delivery x, Delivery y) =>
            x.ClientId == y.ClientId && x.MaximumQoS == y.MaximumQoS && x.RetainAsPublished == y.RetainAsPublished
            && x.SubscriptionIdentifiers.SequenceEqual(y.SubscriptionIdentifiers);

        public int GetHashCode(Delivery obj) => obj.ClientId.GetHashCode(StringComparison.Ordinal);
    }
}
