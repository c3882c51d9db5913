using System.Globalization;
using System.Text;

namespace Actors.Mqtt.Server.Configuration.Hocon;

/// <summary>
/// Writes a resolved tree back as HOCON in the one plain form Akka's parser reads reliably: every key and string
/// quoted, one key per line, no substitutions, no comments. This text, not the operator's, is what Akka parses.
/// </summary>
public static class HoconRenderer
{
    public static string Render(HoconObject root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var text = new StringBuilder();
        Fields(text, root, indent: 0, path: "");
        return text.ToString();
    }

    private static void Fields(StringBuilder text, HoconObject target, int indent, string path)
    {
        foreach (var (key, field) in target.Fields)
        {
            var fullKey = path.Length == 0 ? key : $"{path}.{key}";
            text.Append(' ', indent * 2);
            Quote(text, key);
            text.Append(field.Value is HoconObject ? " " : " = ");
            Value(text, field.Value, indent, fullKey);
            text.Append('\n');
            CheckSize(text, field.Location, fullKey);
        }
    }

    private static void CheckSize(StringBuilder text, ConfigLocation location, string key)
    {
        if (text.Length > HoconLimits.MaxRenderedChars)
        {
            throw new ConfigException(location, key, $"the configuration grows beyond {HoconLimits.MaxRenderedChars} characters through substitutions");
        }
    }

    private static void Value(StringBuilder text, HoconNode value, int indent, string key)
    {
        if (indent > HoconLimits.MaxDepth)
        {
            // Substituting an object into another can nest deeper than any text the parser let through.
            throw new ConfigException(value.Location, key, $"nesting is deeper than {HoconLimits.MaxDepth} levels once substitutions are made");
        }

        switch (value)
        {
            case HoconObject nested:
                text.Append("{\n");
                Fields(text, nested, indent + 1, key);
                text.Append(' ', indent * 2).Append('}');
                break;
            case HoconArray array:
                text.Append('[');
                for (var i = 0; i < array.Items.Count; i++)
                {
                    text.Append(i == 0 ? "" : ", ");
                    Value(text, array.Items[i], indent + 1, key);
                    CheckSize(text, array.Items[i].Location, key);
                }

                text.Append(']');
                break;
            case HoconScalar { Kind: HoconScalarKind.Text } scalar:
                Quote(text, scalar.Text);
                break;
            case HoconScalar scalar:
                text.Append(scalar.Text);
                break;
            default:
                throw new InvalidOperationException($"{value.GetType().Name} at {value.Location} was not resolved before rendering");
        }
    }

    private static void Quote(StringBuilder text, string value)
    {
        text.Append('"');
        foreach (var c in value)
        {
            _ = c switch
            {
                '"' => text.Append("\\\""),
                '\\' => text.Append("\\\\"),
                '\n' => text.Append("\\n"),
                < ' ' => text.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                _ => text.Append(c),
            };
        }

        text.Append('"');
    }
}
