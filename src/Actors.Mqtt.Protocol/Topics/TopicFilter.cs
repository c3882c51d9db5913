namespace Actors.Mqtt.Protocol.Topics;

/// <summary>
/// A checked topic filter from SUBSCRIBE or UNSUBSCRIBE, with the group of a shared subscription split off so that
/// matching sees only the filter proper.
/// </summary>
public readonly record struct TopicFilter
{
    private const string SharePrefix = "$share/";

    private TopicFilter(string filter, string? shareName, bool hasWildcards)
    {
        Filter = filter;
        ShareName = shareName;
        HasWildcards = hasWildcards;
    }

    /// <summary>The filter that topic names are matched against, without any <c>$share/{ShareName}/</c> prefix.</summary>
    public string Filter { get; }

    /// <summary>The group of a shared subscription (MQTT 5.0), or null for an ordinary one.</summary>
    public string? ShareName { get; }

    public bool IsShared => ShareName is not null;

    /// <summary>True when <see cref="Filter"/> has a <c>+</c> or <c>#</c> level, so it can match more than one name.</summary>
    public bool HasWildcards { get; }

    /// <summary>
    /// Checks a topic filter: at least one character, no U+0000, at most 65 535 UTF-8 bytes, well-formed UTF-16,
    /// <c>#</c> only as the whole last level, <c>+</c> only as a whole level. With <paramref name="allowShared"/>
    /// (MQTT 5.0) a filter starting with <c>$share/</c> is read as <c>$share/{ShareName}/{filter}</c>; MQTT 3.1 and
    /// 3.1.1 have no shared subscriptions, so there it is an ordinary filter.
    /// </summary>
    public static bool TryParse(string text, bool allowShared, out TopicFilter filter, out MqttError error)
    {
        ArgumentNullException.ThrowIfNull(text);
        filter = default;
        if (text.Length == 0)
        {
            error = Invalid("topic filter is empty", "MQTT-4.7.3-1");
            return false;
        }

        if (text.Contains('\0', StringComparison.Ordinal))
        {
            error = Invalid("topic filter contains U+0000", "MQTT-4.7.3-2");
            return false;
        }

        if (!Utf8Rules.IsWellFormed(text, out var byteCount))
        {
            error = Invalid("topic filter is not well-formed UTF-16", "MQTT-1.5.4-1");
            return false;
        }

        if (byteCount > TopicName.MaxByteLength)
        {
            error = Invalid("topic filter is longer than 65535 bytes", "MQTT-4.7.3-3");
            return false;
        }

        string? shareName = null;
        var filterText = text;
        if (allowShared && text.StartsWith(SharePrefix, StringComparison.Ordinal))
        {
            if (!TrySplitShared(text, out shareName, out filterText, out error))
            {
                return false;
            }
        }

        if (!TryCheckWildcards(filterText, out var hasWildcards, out error))
        {
            return false;
        }

        filter = new TopicFilter(filterText, shareName, hasWildcards);
        error = default;
        return true;
    }

    public bool Matches(string topicName)
    {
        ArgumentNullException.ThrowIfNull(topicName);
        return TopicMatcher.Matches(Filter, topicName);
    }

    private static bool TrySplitShared(string text, out string? shareName, out string filterText, out MqttError error)
    {
        shareName = null;
        filterText = text;
        var rest = text.AsSpan(SharePrefix.Length);
        var separator = rest.IndexOf('/');
        var name = separator < 0 ? rest : rest[..separator];
        if (name.IsEmpty)
        {
            error = Invalid("share name is empty", "MQTT-4.8.2-1");
            return false;
        }

        if (name.IndexOfAny('+', '#') >= 0)
        {
            error = Invalid("share name contains a wildcard", "MQTT-4.8.2-2");
            return false;
        }

        if (separator < 0 || separator == rest.Length - 1)
        {
            error = Invalid("shared subscription has no topic filter after the share name", "MQTT-4.8.2-2");
            return false;
        }

        shareName = name.ToString();
        filterText = text[(SharePrefix.Length + separator + 1)..];
        error = default;
        return true;
    }

    private static bool TryCheckWildcards(string filterText, out bool hasWildcards, out MqttError error)
    {
        hasWildcards = false;
        for (var i = 0; i < filterText.Length; i++)
        {
            var c = filterText[i];
            if (c is not ('+' or '#'))
            {
                continue;
            }

            var startsLevel = i == 0 || filterText[i - 1] == '/';
            var isLast = i == filterText.Length - 1;
            if (c == '#' && !(startsLevel && isLast))
            {
                error = Invalid("'#' is not the whole last level of the topic filter", "MQTT-4.7.1-1");
                return false;
            }

            if (c == '+' && !(startsLevel && (isLast || filterText[i + 1] == '/')))
            {
                error = Invalid("'+' is not a whole level of the topic filter", "MQTT-4.7.1-2");
                return false;
            }

            hasWildcards = true;
        }

        error = default;
        return true;
    }

    private static MqttError Invalid(string message, string specId) =>
        new(ReasonCode.TopicFilterInvalid, message, specId);
}
