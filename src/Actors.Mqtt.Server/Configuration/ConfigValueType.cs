using System.Globalization;
using System.Text.RegularExpressions;
using Actors.Mqtt.Server.Configuration.Hocon;

namespace Actors.Mqtt.Server.Configuration;

/// <summary>What a key holds, as its value in the reference configuration shows it.</summary>
public enum ConfigValueType
{
    WholeNumber,
    Number,
    Boolean,
    /// <summary>A number with a time unit: <c>500ms</c>, <c>10s</c>, <c>2m</c>, <c>1h</c>, <c>1d</c>.</summary>
    Duration,
    /// <summary>A number of bytes, with or without a unit: <c>1048576</c>, <c>64KiB</c>, <c>1MiB</c>.</summary>
    Size,
    Text,
    List,
    Section,
    /// <summary>A reference value of <c>null</c>: any single value.</summary>
    Scalar,
}

/// <summary>Infers a key's type from its reference value and checks an operator's value against it.</summary>
public static partial class ConfigValueTypes
{
    public static ConfigValueType Infer(HoconNode reference) => reference switch
    {
        HoconObject => ConfigValueType.Section,
        HoconArray => ConfigValueType.List,
        HoconScalar { Kind: HoconScalarKind.Null } => ConfigValueType.Scalar,
        HoconScalar { Kind: HoconScalarKind.Boolean } => ConfigValueType.Boolean,
        HoconScalar { Kind: HoconScalarKind.Number } s => IsInteger(s.Text) ? ConfigValueType.WholeNumber : ConfigValueType.Number,
        HoconScalar s when IsBoolean(s.Text) => ConfigValueType.Boolean,
        HoconScalar s when DurationPattern().IsMatch(s.Text) => ConfigValueType.Duration,
        HoconScalar s when SizePattern().IsMatch(s.Text) => ConfigValueType.Size,
        _ => ConfigValueType.Text,
    };

    /// <summary>Null when <paramref name="value"/> fits <paramref name="type"/>, else what was expected and found.</summary>
    public static string? Mismatch(ConfigValueType type, HoconNode value)
    {
        var fits = (type, value) switch
        {
            (ConfigValueType.Section, HoconObject) => true,
            (not ConfigValueType.Section and not ConfigValueType.List, HoconScalar { Kind: HoconScalarKind.Null }) => true,
            (ConfigValueType.List, HoconArray) => true,
            // --set gives only strings, so a list may be written as one comma-separated string.
            (ConfigValueType.List, HoconScalar { Kind: HoconScalarKind.Text }) => true,
            (_, HoconObject or HoconArray) => false,
            (ConfigValueType.Scalar or ConfigValueType.Text, HoconScalar) => true,
            (ConfigValueType.WholeNumber, HoconScalar s) => IsInteger(s.Text),
            (ConfigValueType.Number, HoconScalar s) => double.TryParse(s.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out _),
            (ConfigValueType.Boolean, HoconScalar s) => IsBoolean(s.Text),
            (ConfigValueType.Duration, HoconScalar s) => DurationPattern().IsMatch(s.Text),
            (ConfigValueType.Size, HoconScalar s) => SizePattern().IsMatch(s.Text) || IsInteger(s.Text),
            _ => false,
        };
        return fits ? null : $"expected {Describe(type)}, found {Describe(value)}";
    }

    public static string Describe(ConfigValueType type) => type switch
    {
        ConfigValueType.WholeNumber => $"a whole number from {int.MinValue} to {int.MaxValue}",
        ConfigValueType.Number => "a number",
        ConfigValueType.Boolean => "true or false (or on/off)",
        ConfigValueType.Duration => "a duration with a unit (ms, s, m, h or d), such as 10s",
        ConfigValueType.Size => "a size in bytes, with or without a unit (kB, KiB, MB, MiB, GB, GiB), such as 1MiB",
        ConfigValueType.Text => "a string",
        ConfigValueType.List => "a list [ ... ] (or, with --set, a comma-separated string)",
        ConfigValueType.Section => "an object { ... }",
        _ => "a single value",
    };

    private static string Describe(HoconNode value) => value switch
    {
        HoconObject => "an object",
        HoconArray => "a list",
        HoconScalar s => $"'{s.Text}'",
        _ => value.GetType().Name,
    };

    private static bool IsInteger(string text) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);

    private static bool IsBoolean(string text) => text is "true" or "false" or "on" or "off";

    [GeneratedRegex(@"^[0-9]+(\.[0-9]+)? ?(ms|millis|milliseconds|s|second|seconds|m|minute|minutes|h|hour|hours|d|day|days)$")]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"^[0-9]+ ?(B|kB|KiB|MB|MiB|GB|GiB)$")]
    private static partial Regex SizePattern();
}
