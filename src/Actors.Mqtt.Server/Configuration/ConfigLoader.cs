using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Actors.Mqtt.Broker;
using Akka.Configuration;

namespace Actors.Mqtt.Server.Configuration;

/// <summary>
/// Builds the one <see cref="Config"/> the process runs with: <c>--set</c> overrides, over the operator's file, over
/// the reference configuration embedded in the executable.
/// </summary>
/// <remarks>
/// Every text goes through <see cref="ParseChecked"/>, the single door into Akka's parser; the strict loader (known
/// keys and types, with line numbers) replaces what happens behind that door without changing the callers.
/// </remarks>
public static partial class ConfigLoader
{
    public const string DefaultConfigFile = "hocon/broker.conf";

    private const string ReferenceResource = "Actors.Mqtt.Server.reference.conf";

    /// <summary>Loads from the process's current directory and executable folder.</summary>
    public static Config Load(string? configFile, IEnumerable<string> overrides) =>
        Load(configFile, overrides, Directory.GetCurrentDirectory(), AppContext.BaseDirectory);

    /// <param name="configFile">The operator's file, or null for <see cref="DefaultConfigFile"/>.</param>
    /// <param name="overrides">The <c>--set key=value</c> values, later ones winning.</param>
    /// <param name="currentDirectory">Where a relative file name is looked up first.</param>
    /// <param name="contentRoot">Where it is looked up next: the executable's folder, which ships the default file.</param>
    public static Config Load(string? configFile, IEnumerable<string> overrides, string currentDirectory, string contentRoot)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        // The server's defaults, then the broker's own (its limits, and what it needs from Akka).
        var reference = ParseChecked(ReadReference(), "reference.conf (embedded)").WithFallback(BrokerSettings.Reference);
        var path = ResolveConfigFile(configFile ?? DefaultConfigFile, currentDirectory, contentRoot);
        var file = ParseChecked(ReadFile(path), path);

        var result = file.WithFallback(reference);
        foreach (var set in overrides)
        {
            result = ParseChecked(OverrideToHocon(set), $"--set {set}").WithFallback(result);
        }

        return result;
    }

    /// <summary>Pre-checks <paramref name="text"/> and parses it with Akka, reporting any failure against <paramref name="source"/>.</summary>
    public static Config ParseChecked(string text, string source)
    {
        HoconPreCheck.Check(text, source);
        try
        {
            return ConfigurationFactory.ParseString(text);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new ConfigException(source, e.Message, e);
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
                $"'{key}' is not a key: expected dot-separated names of letters, digits, '_' and '-'");
        }

        var hoconValue = NumberPattern().IsMatch(value) || value is "true" or "false" ? value : Quote(value);
        return $"{key} = {hoconValue}";
    }

    private static string ReadReference()
    {
        using var stream = typeof(ConfigLoader).Assembly.GetManifestResourceStream(ReferenceResource)
            ?? throw new InvalidOperationException($"The embedded resource {ReferenceResource} is missing from the build.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static string ReadFile(string path)
    {
        try
        {
            // Checked before reading, so a wrong file of gigabytes is refused without being loaded.
            var length = new FileInfo(path).Length;
            if (length > HoconPreCheck.MaxBytes)
            {
                throw new ConfigException(path, null, null, $"is {length} bytes, more than the limit of {HoconPreCheck.MaxBytes}");
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

    [GeneratedRegex(@"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")]
    private static partial Regex KeyPattern();

    [GeneratedRegex(@"^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$")]
    private static partial Regex NumberPattern();
}
