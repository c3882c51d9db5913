using System.Runtime.CompilerServices;
using Actors.Mqtt.Server.Configuration.Hocon;
using Akka.Configuration;

namespace Actors.Mqtt.Server.Configuration;

/// <summary>
/// Where each key of a loaded configuration was set (file and line, <c>--set</c> option, or embedded default), so
/// that a check made where settings are read (a port's range, a file's existence) reports what the loader reports.
/// </summary>
/// <example><code>
/// var source = ConfigSource.Of(config);
/// if (port is &lt; 0 or &gt; 65535) throw source.Error("actors-mqtt.listeners.tcp.port", $"{port} is not a port");
/// var certificate = source.ExistingFile("actors-mqtt.listeners.tls.certificate", config.GetString("..."));
/// </code></example>
public sealed class ConfigSource
{
    private static readonly ConditionalWeakTable<Config, ConfigSource> Sources = [];

    private static readonly ConfigSource Unknown = new(null, []);

    private readonly HoconObject? _tree;

    private ConfigSource(HoconObject? tree, IReadOnlyList<string> files)
    {
        _tree = tree;
        Files = files;
    }

    /// <summary>The operator's configuration files the configuration was read from, for the start-up log.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>The locations of a configuration <see cref="ConfigLoader"/> or <see cref="StrictConfig"/> made; for any
    /// other configuration, errors name the key alone.</summary>
    public static ConfigSource Of(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Sources.TryGetValue(config, out var source) ? source : Unknown;
    }

    internal static void Register(Config config, HoconObject tree, IReadOnlyList<string> files) =>
        Sources.AddOrUpdate(config, new ConfigSource(tree, files));

    /// <summary>Where <paramref name="key"/> (dotted, from the root) was last set, or null if it is not set at all.</summary>
    public ConfigLocation? Locate(string key) => Field(key)?.Location;

    private HoconField? Field(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        HoconNode? current = _tree;
        HoconField? field = null;
        foreach (var name in key.Split('.'))
        {
            // A list's entries are named by their number from 1, as the broker names them (extensions.2.type).
            if (current is HoconArray list && int.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number)
                && number >= 1 && number <= list.Items.Count)
            {
                current = list.Items[number - 1];
                field = new HoconField(current.Location, current, null);
                continue;
            }

            if (current is not HoconObject parent || !parent.Fields.TryGetValue(name, out field))
            {
                return null;
            }

            current = field.Value;
        }

        return field;
    }

    /// <summary>An error about <paramref name="key"/>, at the file and line that set it.</summary>
    public ConfigException Error(string key, string problem) =>
        new(Locate(key) ?? new ConfigLocation("configuration", null, null, IsFile: false), key, problem);

    /// <summary>
    /// An error about the entry <paramref name="name"/> of the map at <paramref name="mapKey"/>, whose name may hold
    /// dots (a quoted HOCON key such as <c>"Actors.Mqtt.Broker"</c>), at the file and line that set it. The key is
    /// named as an operator writes it: <c>actors-mqtt.log.levels."Actors.Mqtt.Broker"</c>.
    /// </summary>
    public ConfigException MapEntryError(string mapKey, string name, string problem)
    {
        ArgumentNullException.ThrowIfNull(name);
        var location = Field(mapKey) is { Value: HoconObject map }
            && map.Fields.TryGetValue(name, out var entry)
                ? entry.Location
                : new ConfigLocation("configuration", null, null, IsFile: false);
        var key = name.Contains('.', StringComparison.Ordinal) || name.Length == 0 ? $"{mapKey}.\"{name}\"" : $"{mapKey}.{name}";
        return new ConfigException(location, key, problem);
    }

    /// <summary>
    /// The full path of the file <paramref name="key"/> names in <paramref name="path"/>, which must exist. A relative
    /// path is relative to the folder of the configuration file that set the key, so a configuration and the files it
    /// names can move together; from <c>--set</c> or a default it is relative to the current directory.
    /// </summary>
    public string ExistingFile(string key, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0)
        {
            throw Error(key, "names no file (the value is empty)");
        }

        var location = Locate(key);
        var baseDirectory = location is { IsFile: true }
            ? Path.GetDirectoryName(Path.GetFullPath(location.Source)) ?? Directory.GetCurrentDirectory()
            : Directory.GetCurrentDirectory();
        var full = Path.GetFullPath(path, baseDirectory);
        return File.Exists(full) ? full : throw Error(key, $"file '{full}' does not exist");
    }
}
