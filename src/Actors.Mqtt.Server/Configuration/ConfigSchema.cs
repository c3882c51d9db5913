using Actors.Mqtt.Server.Configuration.Hocon;

namespace Actors.Mqtt.Server.Configuration;

/// <summary>
/// The keys the configuration may hold and their types, all taken from the embedded reference configurations: a key
/// is known when a reference config has it, and its type is that of its reference value. Nothing else declares keys,
/// except in a map such as <c>actors-mqtt.log.levels</c>, whose keys are free and whose values have the type of the
/// reference's entries there.
/// </summary>
/// <remarks>
/// Sections in <see cref="OpenSections"/> are another library's, whose keys (and open-ended maps of dispatchers,
/// plugins and deployments) the reference does not list: only their immediate children are checked, against the names
/// given for them; everything deeper passes with syntax checks only.
/// </remarks>
public sealed class ConfigSchema(HoconObject reference, IReadOnlyDictionary<string, IReadOnlySet<string>> openSections)
{
    /// <summary>Akka.NET's section, whose immediate children are those its modules define.</summary>
    public static IReadOnlyDictionary<string, IReadOnlySet<string>> AkkaSection { get; } =
        new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal) { ["akka"] = AkkaSections.Known };

    public HoconObject Reference { get; } = reference ?? throw new ArgumentNullException(nameof(reference));

    public IReadOnlyDictionary<string, IReadOnlySet<string>> OpenSections { get; } = openSections ?? throw new ArgumentNullException(nameof(openSections));

    /// <summary>Throws a <see cref="ConfigException"/> at the first key of <paramref name="config"/> the reference does
    /// not have, or whose value does not fit the reference's type.</summary>
    public void Validate(HoconObject config)
    {
        ArgumentNullException.ThrowIfNull(config);
        ValidateObject(config, Reference, "");
    }

    private void ValidateObject(HoconObject config, HoconObject reference, string path)
    {
        foreach (var (key, field) in config.Fields)
        {
            var fullKey = path.Length == 0 ? key : $"{path}.{key}";
            if (path.Length == 0 && OpenSections.TryGetValue(key, out var children) && field.Value is HoconObject section)
            {
                ValidateOpenSection(section, reference.Fields.TryGetValue(key, out var own) ? own.Value : null, children, key);
                continue;
            }

            if (!reference.Fields.TryGetValue(key, out var known))
            {
                // A listener of another name than its kind's: it may hold any key a listener of some kind has.
                if (path == ListenersPath && field.Value is HoconObject)
                {
                    known = new HoconField(field.Location, AnyListener(reference), null);
                }
                else if (path == BridgesPath && field.Value is HoconObject && BridgeDefaults() is { } defaults)
                {
                    known = new HoconField(field.Location, AnyBridge(defaults), null);
                }
                else if (MapPaths.Contains(path) && reference.Fields.Values.FirstOrDefault() is { } entry)
                {
                    known = entry;
                }
                else
                {
                    throw new ConfigException(field.Location, fullKey, Unknown(key, reference));
                }
            }

            var type = ConfigValueTypes.Infer(known.Value);
            if (ConfigValueTypes.Mismatch(type, field.Value) is { } mismatch)
            {
                throw new ConfigException(field.Location, fullKey, mismatch);
            }

            switch (field.Value)
            {
                case HoconObject nested:
                    ValidateObject(nested, (HoconObject)known.Value, fullKey);
                    break;
                case HoconArray array when fullKey == ExtensionsPath && ExtensionDefaults() is { } extension:
                    ValidateExtensions(array, extension, fullKey);
                    break;
                case HoconArray array when path.StartsWith(BridgesPath + ".", StringComparison.Ordinal) && key == "topics"
                    && BridgeDefaults()?.Fields.GetValueOrDefault("topic")?.Value is HoconObject topic:
                    ValidateTopics(array, topic, fullKey);
                    break;
                case HoconArray array when known.Value is HoconArray { Items: [var example, ..] }:
                    ValidateItems(array, ConfigValueTypes.Infer(example), fullKey);
                    break;
            }
        }
    }

    private const string ListenersPath = "actors-mqtt.listeners";

    private const string BridgesPath = "actors-mqtt.bridges";

    private const string ExtensionsPath = "actors-mqtt.extensions";

    /// <summary>Sections whose keys are names the operator chooses (a logger category for a level); each value has
    /// the type of the section's entries in the reference.</summary>
    private static readonly HashSet<string> MapPaths = new(StringComparer.Ordinal) { LogSettings.LevelsKey };

    /// <summary>The keys of every listener kind the reference has, and <c>kind</c>.</summary>
    private static HoconObject AnyListener(HoconObject listeners)
    {
        var any = new HoconObject(listeners.Location);
        foreach (var kind in listeners.Fields.Values.Select(f => f.Value).OfType<HoconObject>())
        {
            foreach (var (key, field) in kind.Fields)
            {
                if (!any.Fields.ContainsKey(key))
                {
                    any.Fields[key] = field;
                }
            }
        }

        any.Fields["kind"] = new HoconField(listeners.Location, new HoconScalar(listeners.Location, "tcp", HoconScalarKind.Text), null);
        return any;
    }

    /// <summary>The reference's <c>actors-mqtt.bridge-defaults</c>: the keys every bridge takes, and a topic's under <c>topic</c>.</summary>
    private HoconObject? BridgeDefaults() =>
        Reference.Fields.GetValueOrDefault("actors-mqtt")?.Value is HoconObject section
            ? section.Fields.GetValueOrDefault("bridge-defaults")?.Value as HoconObject
            : null;

    /// <summary>The reference's <c>actors-mqtt.extension-defaults</c>: the keys every extension takes.</summary>
    private HoconObject? ExtensionDefaults() =>
        Reference.Fields.GetValueOrDefault("actors-mqtt")?.Value is HoconObject section
            ? section.Fields.GetValueOrDefault("extension-defaults")?.Value as HoconObject
            : null;

    /// <summary>Each entry of <c>extensions</c> is an object with the keys of the defaults, named by its number
    /// (<c>extensions.2.type</c>); what is under its <c>config</c> belongs to the extension and is not checked here.</summary>
    private void ValidateExtensions(HoconArray extensions, HoconObject defaults, string key)
    {
        for (var i = 0; i < extensions.Items.Count; i++)
        {
            if (extensions.Items[i] is not HoconObject item)
            {
                throw new ConfigException(extensions.Items[i].Location, key, $"item {i + 1}: expected an object such as {{ type = \"Company.Audit.AuditExtension, Company.Audit\", assembly-path = \"plugins/Company.Audit.dll\" }}");
            }

            var open = item.Copy();
            if (open.Fields.TryGetValue("config", out var config) && config.Value is not HoconObject)
            {
                throw new ConfigException(config.Location, $"{key}.{i + 1}.config", "expected an object: the extension's own settings");
            }

            open.Fields.Remove("config");
            ValidateObject(open, defaults, $"{key}.{i + 1}");
        }
    }

    /// <summary>The keys of a bridge: those of the defaults, but for <c>topic</c>, which only describes the entries of
    /// <c>topics</c>.</summary>
    private static HoconObject AnyBridge(HoconObject defaults)
    {
        var any = defaults.Copy();
        any.Fields.Remove("topic");
        return any;
    }

    /// <summary>Each entry of a bridge's <c>topics</c> is an object with the keys of the defaults' <c>topic</c>; a key
    /// in one is named with the entry's number, <c>topics.2.qos</c>.</summary>
    private void ValidateTopics(HoconArray topics, HoconObject topic, string key)
    {
        for (var i = 0; i < topics.Items.Count; i++)
        {
            if (topics.Items[i] is not HoconObject item)
            {
                throw new ConfigException(topics.Items[i].Location, key, $"item {i + 1}: expected an object such as {{ pattern = \"sensors/#\", direction = out, qos = 1 }}");
            }

            ValidateObject(item, topic, $"{key}.{i + 1}");
        }
    }

    private static void ValidateOpenSection(HoconObject section, HoconNode? reference, IReadOnlySet<string> children, string path)
    {
        var known = new SortedSet<string>(children, StringComparer.Ordinal);
        if (reference is HoconObject own)
        {
            known.UnionWith(own.Fields.Keys);
        }

        foreach (var (key, field) in section.Fields)
        {
            if (!known.Contains(key))
            {
                var suggestion = Suggest(key, known);
                throw new ConfigException(
                    field.Location,
                    $"{path}.{key}",
                    suggestion is null ? "unknown key: not a section or setting of this library" : $"unknown key (did you mean '{suggestion}'?)");
            }
        }
    }

    private static void ValidateItems(HoconArray array, ConfigValueType type, string key)
    {
        for (var i = 0; i < array.Items.Count; i++)
        {
            if (ConfigValueTypes.Mismatch(type, array.Items[i]) is { } mismatch)
            {
                throw new ConfigException(array.Items[i].Location, key, $"item {i + 1}: {mismatch}");
            }
        }
    }

    private static string? Suggest(string key, IEnumerable<string> known) =>
        known
            .Select(name => (name, distance: Distance(key, name)))
            .Where(c => c.distance <= Math.Max(1, Math.Min(3, c.name.Length / 3)))
            .OrderBy(c => c.distance)
            .Select(c => c.name)
            .FirstOrDefault();

    private static string Unknown(string key, HoconObject reference)
    {
        var suggestion = Suggest(key, reference.Fields.Keys);
        return suggestion is null
            ? $"unknown key (known here: {string.Join(", ", reference.Fields.Keys)})"
            : $"unknown key (did you mean '{suggestion}'?)";
    }

    /// <summary>Edits (insert, delete, replace, swap two neighbours) that turn one name into the other.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
