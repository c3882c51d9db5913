namespace Actors.Mqtt.Protocol.Topics;

/// <summary>The levels of a topic name or filter: the parts its separators <c>/</c> divide it into.</summary>
public static class TopicLevels
{
    /// <summary><c>a/b/c</c> has 3 levels, <c>a</c> and the empty string 1, <c>/a</c> and <c>a/</c> 2 (an empty level counts).</summary>
    public static int Count(string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        return topic.AsSpan().Count('/') + 1;
    }
}
