namespace Actors.Mqtt.Broker.Extensions.Http;

/// <summary>
/// The allow and deny answers of the HTTP server, each kept for the same time to live, at most a number of them. As
/// every entry lives as long, the oldest added is the first to expire, so one queue in the order of adding finds both
/// the expired entries and the one to forget when it is full. Not thread-safe: used by its actor only.
/// </summary>
internal sealed class AnswerCache(TimeSpan ttl, int maxEntries, TimeProvider time)
{
    private readonly Dictionary<string, (Verdict Verdict, DateTimeOffset Expires)> entries = new(StringComparer.Ordinal);
    private readonly Queue<(string Key, DateTimeOffset Expires)> added = new();

    public int Count => entries.Count;

    public bool TryGet(string key, out Verdict verdict)
    {
        if (entries.TryGetValue(key, out var entry) && entry.Expires > time.GetUtcNow())
        {
            verdict = entry.Verdict;
            return true;
        }

        verdict = Verdict.NoOpinion;
        return false;
    }

    public void Add(string key, Verdict verdict)
    {
        if (ttl <= TimeSpan.Zero || maxEntries == 0)
        {
            return;
        }

        var now = time.GetUtcNow();
        while (added.TryPeek(out var oldest) && (oldest.Expires <= now || (entries.Count >= maxEntries && !entries.ContainsKey(key))))
        {
            added.Dequeue();

            // The same key added again later has a queue entry of its own: only its latest expiry removes it.
            if (entries.TryGetValue(oldest.Key, out var entry) && entry.Expires == oldest.Expires)
            {
                entries.Remove(oldest.Key);
            }
        }

        var expires = now + ttl;
        entries[key] = (verdict, expires);
        added.Enqueue((key, expires));
    }
}
