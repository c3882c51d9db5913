using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Topics;
using CsCheck;

namespace Actors.Mqtt.Broker.Tests.Routing;

/// <summary>
/// The trie against a brute-force oracle: every subscription of a flat list tried with
/// <see cref="TopicMatcher.Matches"/>, then grouped by client.
/// </summary>
public class SubscriptionTriePropertyTests
{
    private const long Iterations = 3_000;

    // Few distinct levels so that random filters and names often meet; "$x" brings in system topics.
    private static readonly Gen<string> TopicLevel = Gen.OneOf("a", "b", string.Empty, "$x");

    private static readonly Gen<string> TopicNameGen =
        TopicLevel.Array[1, 4].Select(levels => string.Join('/', levels)).Where(t => t.Length > 0);

    private static readonly Gen<string> FilterGen = Gen.Select(
            Gen.Frequency((3, TopicLevel), (1, Gen.Const("+"))).Array[0, 4],
            Gen.Bool,
            (levels, multiLevel) => string.Join('/', multiLevel ? [.. levels, "#"] : levels))
        .Where(f => f.Length > 0);

    private static readonly Gen<string> ClientGen = Gen.OneOf("c0", "c1", "c2", "c3");

    private static readonly Gen<Subscription> SubscriptionGen = Gen.Select(
        ClientGen,
        FilterGen,
        Gen.OneOf(QualityOfService.AtMostOnce, QualityOfService.AtLeastOnce, QualityOfService.ExactlyOnce),
        Gen.Int[0, 20],
        Gen.Bool,
        Gen.Bool,
        (client, filter, qos, id, noLocal, retainAsPublished) =>
            Subscriptions.Of(client, filter, qos, id == 0 ? null : id) with
            {
                NoLocal = noLocal,
                RetainAsPublished = retainAsPublished,
            });

    private static readonly Gen<string?> PublisherGen = Gen.Frequency(
        (3, ClientGen.Select(c => (string?)c)),
        (1, Gen.Const((string?)null)));

    [Fact]
    [Trait("spec", "MQTT-3.3.4-2")]
    [Trait("spec", "MQTT-3.3.4-4")]
    [Trait("spec", "MQTT-4.7.2-1")]
    public void Match_agrees_with_matching_every_subscription_one_by_one() =>
        Gen.Select(SubscriptionGen.Array[0, 30], TopicNameGen.Array[1, 5], PublisherGen).Sample(
            (subscriptions, topicNames, publisher) =>
            {
                var trie = new SubscriptionTrie(new RoundRobinPicker());
                foreach (var subscription in subscriptions)
                {
                    trie.Add(subscription);
                }

                // A later subscription with the same filter text replaces the earlier one.
                var current = subscriptions
                    .GroupBy(s => (s.ClientId, s.FilterText))
                    .Select(g => g.Last())
                    .ToList();
                Assert.Equal(current.Count, trie.Count);

                foreach (var topicName in topicNames)
                {
                    var deliveries = new List<Delivery>();
                    trie.Match(topicName, publisher, deliveries);
                    Assert.Equal(Oracle(current, topicName, publisher), Describe(deliveries));
                }
            },
            iter: Iterations,
            print: t => $"{string.Join(", ", t.Item1.Select(s => $"{s.ClientId}:{s.FilterText}"))} | {string.Join(", ", t.Item2)} | {t.Item3}");

    private static string Oracle(List<Subscription> subscriptions, string topicName, string? publisher) =>
        Describe(subscriptions
            .Where(s => TopicMatcher.Matches(s.Filter.Filter, topicName))
            .Where(s => !(s.NoLocal && s.ClientId == publisher))
            .GroupBy(s => s.ClientId)
            .Select(g => new Delivery(
                g.Key,
                g.Max(s => s.MaximumQoS),
                g.Any(s => s.RetainAsPublished),
                [.. g.Where(s => s.SubscriptionIdentifier is not null).Select(s => s.SubscriptionIdentifier!.Value)])));

    private static string Describe(IEnumerable<Delivery> deliveries) =>
        string.Join("; ", deliveries
            .OrderBy(d => d.ClientId, StringComparer.Ordinal)
            .Select(d => $"{d.ClientId} {d.MaximumQoS} {d.RetainAsPublished} [{string.Join(',', d.SubscriptionIdentifiers.Order())}]"));
}
