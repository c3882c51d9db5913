using Actors.Mqtt.Broker.Extensions;
using Actors.Mqtt.Broker.Extensions.Http;
using Microsoft.Extensions.Time.Testing;

namespace Actors.Mqtt.Broker.Tests.Extensions.Http;

public sealed class AnswerCacheTests
{
    private readonly FakeTimeProvider time = new(DateTimeOffset.UtcNow);

    [Fact]
    public void A_full_cache_forgets_its_oldest_answer_first()
    {
        var cache = new AnswerCache(TimeSpan.FromMinutes(1), maxEntries: 2, time);

        cache.Add("a", Verdict.Allow);
        time.Advance(TimeSpan.FromSeconds(1));
        cache.Add("b", Verdict.Allow);
        time.Advance(TimeSpan.FromSeconds(1));
        cache.Add("c", Verdict.Allow);

        Assert.False(cache.TryGet("a", out _));
        Assert.True(cache.TryGet("b", out _));
        Assert.True(cache.TryGet("c", out _));
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void Expired_answers_are_neither_found_nor_kept()
    {
        var cache = new AnswerCache(TimeSpan.FromSeconds(10), maxEntries: 100, time);
        cache.Add("a", Verdict.Allow);
        time.Advance(TimeSpan.FromSeconds(5));
        cache.Add("b", Verdict.Allow);
        time.Advance(TimeSpan.FromSeconds(6));

        Assert.False(cache.TryGet("a", out _));
        Assert.True(cache.TryGet("b", out _));

        // The answer added again lives from then on, and the stale record of its first adding does not remove it.
        cache.Add("a", Verdict.Allow);
        time.Advance(TimeSpan.FromSeconds(5));
        cache.Add("c", Verdict.Allow);
        Assert.True(cache.TryGet("a", out _));
        Assert.False(cache.TryGet("b", out _));
        Assert.Equal(2, cache.Count);
    }
}
