namespace Actors.Mqtt.Protocol.Topics;

/// <summary>Decides whether a topic filter selects a topic name.</summary>
/// <remarks>
/// Runs once per subscription for every PUBLISH, so it walks both spans level by level instead of splitting them.
/// </remarks>
public static class TopicMatcher
{
    /// <summary>
    /// True when <paramref name="filter"/> matches <paramref name="topicName"/>. Both must already be valid: the
    /// filter as checked by <see cref="TopicFilter.TryParse"/> (without any <c>$share/</c> prefix), the name as
    /// checked by <see cref="TopicName.TryValidate"/>.
    /// </summary>
    public static bool Matches(ReadOnlySpan<char> filter, ReadOnlySpan<char> topicName)
    {
        // MQTT-4.7.2-1: $ topics belong to the server, so a filter has to name the $ level to reach them.
        if (topicName.Length > 0 && topicName[0] == '$' && filter.Length > 0 && filter[0] is '+' or '#')
        {
            return false;
        }

        while (true)
        {
            var filterEnd = filter.IndexOf('/');
            var filterLevel = filterEnd < 0 ? filter : filter[..filterEnd];
            if (filterLevel is "#")
            {
                return true;
            }

            var topicEnd = topicName.IndexOf('/');
            var topicLevel = topicEnd < 0 ? topicName : topicName[..topicEnd];
            if (filterLevel is not "+" && !filterLevel.SequenceEqual(topicLevel))
            {
                return false;
            }

            if (filterEnd < 0)
            {
                return topicEnd < 0;
            }

            if (topicEnd < 0)
            {
                // "sport/#" matches "sport": the multi-level wildcard stands for the parent level too.
                return filter[(filterEnd + 1)..] is "#";
            }

            filter = filter[(filterEnd + 1)..];
            topicName = topicName[(topicEnd + 1)..];
        }
    }
}
