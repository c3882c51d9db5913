using Actors.Mqtt.Broker.Persistence;
using Actors.Mqtt.Broker.Routing;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Topics;
using Microsoft.Data.Sqlite;

namespace Actors.Mqtt.Broker.Tests.Persistence;

/// <summary>The session index on a real SQLite file: rows replaced whole, removed, read back, detached and due.</summary>
public sealed class SessionIndexStoreTests : IDisposable
{
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeMilliseconds(1_765_000_000_000);
    private readonly string folder = Directory.CreateTempSubdirectory("actors-mqtt-index-").FullName;
    private readonly SessionIndexStore store;

    public SessionIndexStoreTests()
    {
        store = SessionIndexStore.For(new StoreSettings { Store = StoreKind.Sqlite, SqlitePath = Path.Combine(folder, "broker.db") })!;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void The_memory_store_keeps_no_index()
    {
        Assert.Null(SessionIndexStore.For(new StoreSettings { Store = StoreKind.Memory }));
    }

    [Fact]
    public async Task Rows_are_replaced_whole_and_removed_and_their_subscriptions_read_back()
    {
        await store.InitializeAsync();
        await store.InitializeAsync();
        Assert.True(await store.IsEmptyAsync());

        var shared = Subscription("a", "$share/g/x/+", allowShared: true) with { NoLocal = true, SubscriptionIdentifier = 7 };
        await store.WriteAsync([Entry("a", [Subscription("a", "x/#"), shared]), Entry("b", [Subscription("b", "y")]), Entry("c", [])], []);
        await store.WriteAsync([Entry("b", [Subscription("b", "z")])], ["c"]);

        Assert.False(await store.IsEmptyAsync());
        var sessions = new List<IReadOnlyList<Subscription>>();
        await foreach (var batch in store.ReadSubscriptionsAsync(batch: 1))
        {
            Assert.Single(batch);
            sessions.AddRange(batch);
        }

        var byClient = sessions.ToDictionary(s => s[0].ClientId);
        Assert.Equal(["a", "b"], byClient.Keys.Order());
        Assert.Equal(["x/#", "$share/g/x/+"], byClient["a"].Select(s => s.FilterText));
        Assert.Equal(shared, byClient["a"][1]);
        Assert.Equal(["z"], byClient["b"].Select(s => s.FilterText));
    }

    [Fact]
    public async Task A_deadline_is_the_earlier_of_will_and_expiry_and_due_rows_come_earliest_first()
    {
        await store.InitializeAsync();
        await store.WriteAsync(
            [
                Entry("will-first", [], expiry: 60, will: 10, detachedAt: Start),
                Entry("expiry-first", [], expiry: 5, will: 30, detachedAt: Start),
                Entry("never", [], expiry: uint.MaxValue, will: null, detachedAt: Start),
                Entry("attached", [], expiry: 1, will: 0, detachedAt: null),
            ],
            []);

        Assert.Empty(await store.DueAsync(Start + TimeSpan.FromSeconds(4), 10));
        Assert.Equal([("expiry-first", Start)], await store.DueAsync(Start + TimeSpan.FromSeconds(5), 10));
        Assert.Equal([("expiry-first", Start), ("will-first", Start)], await store.DueAsync(Start + TimeSpan.FromDays(365), 10));
        Assert.Equal([("expiry-first", Start)], await store.DueAsync(Start + TimeSpan.FromDays(365), 1));
    }

    [Fact]
    public async Task Sessions_a_connection_held_count_as_detached_from_the_moment_given_on_their_node_or_every_node_and_are_counted_offline()
    {
        await store.InitializeAsync();
        await store.WriteAsync(
            [
                Entry("here", [], expiry: 20, will: 3, detachedAt: null, node: "n1:1"),
                Entry("there", [], expiry: 1, will: 9, detachedAt: null, node: "n2:1"),
                Entry("forever", [], expiry: uint.MaxValue, will: null, detachedAt: null, node: "n2:1"),
                Entry("left-before", [], expiry: 100, will: null, detachedAt: Start - TimeSpan.FromSeconds(10), node: "n1:1"),
            ],
            []);
        Assert.Equal(1, await store.CountDetachedAsync());

        Assert.Equal(1, await store.DetachAllAsync(Start, "n1:1"));
        Assert.Equal(2, await store.CountDetachedAsync());
        Assert.Equal([("here", Start)], await store.DueAsync(Start + TimeSpan.FromSeconds(3), 10));

        var later = Start + TimeSpan.FromSeconds(1);
        Assert.Equal(2, await store.DetachAllAsync(later, node: null));
        Assert.Equal([("there", later), ("here", Start)], await store.DueAsync(Start + TimeSpan.FromSeconds(3), 10));
        Assert.Equal(0, await store.DetachAllAsync(later, node: null));
        Assert.Equal(4, await store.CountDetachedAsync());
    }

    private static SessionIndexEntry Entry(string clientId, IReadOnlyList<Subscription> subscriptions, uint expiry = uint.MaxValue, uint? will = null, DateTimeOffset? detachedAt = null, string node = "n1:1") =>
        new(clientId, subscriptions, expiry, will, detachedAt, node);

    private static Subscription Subscription(string clientId, string filter, bool allowShared = false)
    {
        Assert.True(TopicFilter.TryParse(filter, allowShared, out var parsed, out _));
        return new Subscription(clientId, parsed, QualityOfService.AtLeastOnce);
    }
}
