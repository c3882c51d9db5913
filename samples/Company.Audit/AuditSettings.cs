using Actors.Mqtt.Broker.Extensions;
using Actors.Mqtt.Protocol.Topics;

namespace Company.Audit;

/// <summary>The entry's <c>config</c> block, checked.</summary>
/// <param name="File">Where the JSON lines go; appended to.</param>
/// <param name="DenyTopic">An MQTT topic filter (<c>secret/#</c>); null when nothing is denied.</param>
public sealed record AuditSettings(string File, string? DenyTopic)
{
    public static AuditSettings From(ExtensionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var file = context.Config.GetString("file");
        if (string.IsNullOrWhiteSpace(file))
        {
            // Thrown at start-up: the broker stops with this message at the entry's config key.
            throw new ArgumentException("file is required: the file the audit lines are appended to");
        }

        var deny = context.Config.GetString("deny-topic");
        if (string.IsNullOrEmpty(deny))
        {
            return new AuditSettings(Path.GetFullPath(file), null);
        }

        if (!TopicFilter.TryParse(deny, allowShared: false, out _, out var error))
        {
            throw new ArgumentException($"deny-topic '{deny}' is not a topic filter: {error.Message}");
        }

        return new AuditSettings(Path.GetFullPath(file), deny);
    }
}
