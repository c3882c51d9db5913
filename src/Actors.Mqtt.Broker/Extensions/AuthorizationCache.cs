namespace Actors.Mqtt.Broker.Extensions;

/// <summary>
/// The answers one connection got from the authorizing extensions, per action and topic, each kept for a while so that
/// a device publishing to its one topic asks once (docs/extending.md, "The answer cache"; EMQX keeps such a cache per
/// client). Bounded: past its size the oldest answer is forgotten.
/// </summary>
public sealed class AuthorizationCache(int maxEntries, long ttlMilliseconds)
{
    private readonly Dictionary<(ClientAction, string), (Verdict Verdict, long Until)> answers = [];
    private readonly Queue<(ClientAction, string)> order = new();

    /// <summary>The answer for <paramref name="topic"/> still in force at <paramref name="now"/> (milliseconds).</summary>
    public bool TryGet(ClientAction action, string topic, long now, out Verdict verdict)
    {
        if (answers.TryGetValue((action, topic), out var entry) && entry.Until > now)
        {
            verdict = entry.Verdict;
            return true;
        }

        verdict = Verdict.NoOpinion;
        return false;
    }

    public void Add(ClientAction action, string topic, Verdict verdict, long now)
    {
        if (maxEntries == 0 || ttlMilliseconds == 0)
        {
            return;
        }

        var key = (action, topic);
        if (!answers.ContainsKey(key))
        {
            while (answers.Count >= maxEntries && order.TryDequeue(out var oldest))
            {
                answers.Remove(oldest);
            }

            order.Enqueue(key);
        }

        answers[key] = (verdict, now + ttlMilliseconds);
    }
}
