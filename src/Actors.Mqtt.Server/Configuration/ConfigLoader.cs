using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Actors.Mqtt.Broker;
using Actors.Mqtt.Server.Configuration.Hocon;
using Akka.Configuration;

namespace Actors.Mqtt.Server.Configuration;

/// <summary>
/// Builds the one <see cref="Config"/> the process runs with: <c>--set</c> overrides, over the operator's file, over
/// the reference configurations embedded in the executable, all through <see cref="StrictConfig"/>.
/// </summary>
public static partial class ConfigLoader
{
    public const string DefaultConfigFile = "hocon/broker.conf";

    private const string ServerReferenceResource = "Actors.Mqtt.Server.reference.conf";

    private const string BrokerReferenceResource = "Actors.Mqtt.Broker.reference.conf";

    /// <summary>The embedded reference configurations, the broker's first so the server's own defaults win: they
    /// declare every key an operator may set and its type.</summary>
    public static IReadOnlyList<ConfigLayer> References { get; } =
    [
        new(ReadResource(typeof(BrokerSettings).Assembly, BrokerReferenceResource), "reference.conf of Actors.Mqtt.Broker (embedded)", IsFile: false),
        new(ReadResource(typeof(ConfigLoader).Assembly, ServerReferenceResource), "reference.conf of actors-mqtt (embedded)", IsFile: false),
    ];

    /// <summary>Loads from the process's current directory and executable folder.</summary>
    public static Config Load(string? configFile, IEnumerable<string> overrides) =>
        Load(configFile, overrides, Directory.GetCurrentDirectory(), AppContext.BaseDirectory);

    /// <param name="configFile">The operator's file, or null for <see cref="DefaultConfigFile"/>.</param>
    /// <param name="overrides">The <c>--set key=value</c> values, later ones winning.</param>
    /// <param name="currentDirectory">Where a relative file name is looked up first.</param>
    /// <param name="contentRoot">Where it is looked up next: the executable's folder, which ships the default file.</param>
    /// <param name="environment">Reads an environment variable for <c>${VAR}</c>; the process environment if null.</param>
    public static Config Load(
        string? configFile,
        IEnumerable<string> overrides,
        string currentDirectory,
        string contentRoot,
        Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        var path = ResolveConfigFile(configFile ?? DefaultConfigFile, currentDirectory, contentRoot);
        var layers = new List<ConfigLayer> { new(ReadFile(path), path, IsFile: true) };
        layers.AddRange(overrides.Select(set => new ConfigLayer(OverrideToHocon(set), $"--set {set}", IsFile: false, HasLines: false)));
        var config = StrictConfig.Build(References, layers, environment ?? Environment.GetEnvironmentVariable);
        CheckBrokerSettings(config);
        return config;
    }

    /// <summary>The broker checks its own values where it reads them; this reads them once at load, so a bad one is
    /// reported at the file and line that set it rather than when the broker is composed.</summary>
    private static void CheckBrokerSettings(Config config)
    {
        try
        {
            _ = BrokerSettings.From(config);
        }
        catch (ConfigurationException e) when (e.Data[BrokerSettings.KeyData] is string key && e.Data[BrokerSettings.ProblemData] is string problem)
        {
            throw ConfigSource.Of(config).Error(key, problem);
        }
    }

    /// <summary>A relative path is tried against the current directory, then the content root; an absolute one as is.</summary>
    public static string ResolveConfigFile(string path, string currentDirectory, string contentRoot)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (Path.IsPathRooted(path))
        {
            return File.Exists(path) ? path : throw new ConfigException(path, null, null, "configuration file not found");
        }

        var candidates = new[] { Path.GetFullPath(path, currentDirectory), Path.GetFullPath(path, contentRoot) };
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new ConfigException(
                path,
                null,
                null,
                $"configuration file not found (looked for {string.Join(" and ", candidates.Distinct())})");
    }

    /// <summary>Turns <c>key=value</c> into one line of HOCON: a number or boolean stays as written, anything else
    /// becomes a quoted string, so no value can open a structure or a substitution.</summary>
    public static string OverrideToHocon(string set)
    {
        ArgumentNullException.ThrowIfNull(set);
        var source = $"--set {set}";
        var equals = set.IndexOf('=', StringComparison.Ordinal);
        if (equals < 0)
        {
            throw new ConfigException(source, null, null, "expected key=value");
        }

        var key = set[..equals].Trim();
        var value = set[(equals + 1)..].Trim();
        if (!KeyPattern().IsMatch(key))
        {
            throw new ConfigException(
                source,
                null,
                null,
                $"'{key}' is not a key: expected dot-separated names of letters, digits, '_' and '-', or a quoted name such as \"Akka.Cluster\"");
        }

        var hoconValue = NumberPattern().IsMatch(value) || value is "true" or "false" or "null" ? value : Quote(value);
        return $"{key} = {hoconValue}";
    }

    private static string ReadResource(System.Reflection.Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The embedded resource {name} is missing from the build.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static string ReadFile(string path)
    {
        try
        {
            // Checked before reading, so a wrong file of gigabytes is refused without being loaded.
            var length = new FileInfo(path).Length;
            if (length > HoconLimits.MaxBytes)
            {
                throw new ConfigException(path, null, null, $"is {length} bytes, more than the limit of {HoconLimits.MaxBytes}");
            }

            return File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(path, $"cannot be read: {e.Message}", e);
        }
    }

    private static string Quote(string value)
    {
        var quoted = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            _ = c switch
            {
                '"' => quoted.Append("\\\""),
                '\\' => quoted.Append("\\\\"),
                < ' ' => quoted.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                _ => quoted.Append(c),
            };
        }

        return quoted.Append('"').ToString();
    }

    // A quoted name keeps its dots, for a map entry such as actors-mqtt.log.levels."Akka.Cluster".
    [GeneratedRegex(@"^([A-Za-z0-9_-]+|""[A-Za-z0-9_.-]+"")(\.([A-Za-z0-9_-]+|""[A-Za-z0-9_.-]+""))*$")]
    private static partial Regex KeyPattern();

    [GeneratedRegex(@"^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$")]
    private static partial Regex NumberPattern();
}
