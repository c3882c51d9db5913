namespace Actors.Mqtt.Protocol.Topics;

/// <summary>Rules for the topic name a PUBLISH (or a will) is sent to.</summary>
public static class TopicName
{
    /// <summary>A UTF-8 encoded string holds at most 65 535 bytes.</summary>
    public const int MaxByteLength = ushort.MaxValue;

    /// <summary>
    /// Checks a topic name for PUBLISH: at least one character, no wildcard, no U+0000, at most 65 535 UTF-8 bytes,
    /// well-formed UTF-16 (so that it encodes to well-formed UTF-8).
    /// </summary>
    public static bool TryValidate(string topic, out MqttError error)
    {
        ArgumentNullException.ThrowIfNull(topic);
        if (topic.Length == 0)
        {
            error = new MqttError(ReasonCode.TopicNameInvalid, "topic name is empty", "MQTT-4.7.3-1");
            return false;
        }

        if (topic.AsSpan().IndexOfAny('+', '#') >= 0)
        {
            error = new MqttError(ReasonCode.TopicNameInvalid, "topic name contains a wildcard", "MQTT-3.3.2-2");
            return false;
        }

        if (topic.Contains('\0', StringComparison.Ordinal))
        {
            error = new MqttError(ReasonCode.TopicNameInvalid, "topic name contains U+0000", "MQTT-4.7.3-2");
            return false;
        }

        if (!Utf8Rules.IsWellFormed(topic, out var byteCount))
        {
            error = new MqttError(ReasonCode.TopicNameInvalid, "topic name is not well-formed UTF-16", "MQTT-1.5.4-1");
            return false;
        }

        if (byteCount > MaxByteLength)
        {
            error = new MqttError(ReasonCode.TopicNameInvalid, "topic name is longer than 65535 bytes", "MQTT-4.7.3-3");
            return false;
        }

        error = default;
        return true;
    }

    /// <summary>Topics that start with <c>$</c> are the server's own; leading wildcards do not match them.</summary>
    public static bool IsSystemTopic(string topic) => topic.Length > 0 && topic[0] == '$';
}
