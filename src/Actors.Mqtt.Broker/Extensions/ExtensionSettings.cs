using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace Actors.Mqtt.Broker.Extensions;

/// <summary>What to do with a question an extension did not answer within its <c>timeout</c>.</summary>
public enum TimeoutAnswer
{
    Deny,
    Allow,

    /// <summary>Ask the next extension, as if it had answered that it has no opinion.</summary>
    NoOpinion,
}

/// <summary>
/// One entry of <c>actors-mqtt.extensions</c>, over <c>actors-mqtt.extension-defaults</c>, with its type loaded: the
/// type is found at start-up so that a wrong name or assembly stops the broker at the entry that named it
/// (docs/extending.md).
/// </summary>
public sealed record ExtensionSettings
{
    public required string Name { get; init; }

    public required IBrokerExtension Extension { get; init; }

    /// <summary>What <see cref="IBrokerExtension.Answers"/> said for this entry's configuration.</summary>
    public ExtensionQuestions Answers { get; init; }

    public Config Config { get; init; } = Config.Empty;

    /// <summary>How long the broker waits for this extension's answer to one question.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);

    public TimeoutAnswer OnTimeout { get; init; } = TimeoutAnswer.Deny;

    public ExtensionContext Context => new(Name, Config);

    /// <summary>Reads every entry of <c>extensions</c> under <paramref name="c"/> (the <c>actors-mqtt</c> section).</summary>
    public static IReadOnlyList<ExtensionSettings> ReadAll(Config c)
    {
        ArgumentNullException.ThrowIfNull(c);
        if (!c.HasPath("extensions"))
        {
            return [];
        }

        var defaults = c.GetConfig("extension-defaults");
        var entries = c.GetValue("extensions");
        var items = entries.GetArray();

        // Akka's HOCON holds [] as no array at all, so only a value of another kind is wrong.
        if (items.Count == 0 && (entries.IsString() || entries.IsObject()))
        {
            throw BrokerSettings.Invalid("extensions", "expected a list of objects such as [ { type = \"Company.Audit.AuditExtension, Company.Audit\", assembly-path = \"plugins/Company.Audit.dll\" } ]");
        }

        var list = new List<ExtensionSettings>();
        for (var i = 0; i < items.Count; i++)
        {
            // Named as the configuration checker names a list's entries: from 1, so an operator counts as they read.
            var key = $"extensions.{i + 1}";
            if (!items[i].IsObject())
            {
                throw BrokerSettings.Invalid(key, "is not an extension: expected an object with at least a type");
            }

            var entry = new Config(new HoconRoot(items[i])).WithFallback(defaults);
            var settings = Read(entry, key);
            if (list.Any(e => e.Name == settings.Name))
            {
                throw BrokerSettings.Invalid($"{key}.name", $"'{settings.Name}' names two extensions: give each its own name");
            }

            list.Add(settings);
        }

        return list;
    }

    /// <summary>An extension checks its <c>config</c> block when it is asked what it answers or for its actor's props;
    /// both are asked here, so that a block it refuses stops start-up at the entry, not as a crash of the host.</summary>
    /// <returns>What it answers.</returns>
    private static ExtensionQuestions CheckConfig(IBrokerExtension extension, ExtensionContext context, string key)
    {
        try
        {
            var answers = extension.Answers(context);
            extension.Props(context);
            return answers;
        }
        catch (Exception problem)
        {
            throw BrokerSettings.Invalid($"{key}.config", $"{extension.GetType().FullName} refused it: {problem.Message}");
        }
    }

    private static ExtensionSettings Read(Config e, string key)
    {
        var typeName = e.GetString("type");
        if (string.IsNullOrWhiteSpace(typeName))
        {
            throw BrokerSettings.Invalid(key, "has no type: expected type = \"Namespace.Class, Assembly\" of a class that implements Actors.Mqtt.Broker.Extensions.IBrokerExtension");
        }

        var assemblyPath = e.GetString("assembly-path");
        var extension = ExtensionLoader.Load(typeName, string.IsNullOrWhiteSpace(assemblyPath) ? null : Path.GetFullPath(assemblyPath), key);
        var name = e.GetString("name");
        if (string.IsNullOrWhiteSpace(name))
        {
            name = extension.GetType().Name;
        }

        if (!Akka.Actor.ActorPath.IsValidPathElement(name))
        {
            throw BrokerSettings.Invalid($"{key}.name", $"'{name}' cannot name an actor: use letters, digits and -_.");
        }

        var config = e.HasPath("config") ? e.GetConfig("config") : Config.Empty;
        var answers = CheckConfig(extension, new ExtensionContext(name, config), key);
        var timeout = e.GetTimeSpan("timeout");
        return new ExtensionSettings
        {
            Name = name,
            Extension = extension,
            Answers = answers,
            Config = config,
            Timeout = timeout > TimeSpan.Zero ? timeout : throw BrokerSettings.Invalid($"{key}.timeout", "must be longer than 0"),
            OnTimeout = e.GetString("on-timeout") switch
            {
                "deny" => TimeoutAnswer.Deny,
                "allow" => TimeoutAnswer.Allow,
                "no-opinion" => TimeoutAnswer.NoOpinion,
                var other => throw BrokerSettings.Invalid($"{key}.on-timeout", $"'{other}' is not an answer: expected deny, allow or no-opinion"),
            },
        };
    }
}
