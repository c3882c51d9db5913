namespace Actors.Mqtt.Server.Configuration.Hocon;

/// <summary>A value of a parsed HOCON tree; substitutions and concatenations exist only until the tree is resolved.</summary>
public abstract record HoconNode(ConfigLocation Location);

public enum HoconScalarKind
{
    /// <summary>Quoted, or unquoted text that is no other kind.</summary>
    Text,
    Number,
    Boolean,
    Null,
}

public sealed record HoconScalar(ConfigLocation Location, string Text, HoconScalarKind Kind) : HoconNode(Location);

public sealed record HoconArray(ConfigLocation Location, IReadOnlyList<HoconNode> Items) : HoconNode(Location);

/// <summary><c>${path}</c> or <c>${?path}</c>: a key of the whole configuration, else an environment variable.</summary>
public sealed record HoconSubstitution(ConfigLocation Location, string Path, bool Optional) : HoconNode(Location);

/// <summary>Values written next to each other on one line, such as <c>${HOME}/certs</c>: they become one string.</summary>
/// <param name="Parts">Each part with the whitespace written before it.</param>
public sealed record HoconConcatenation(ConfigLocation Location, IReadOnlyList<(string Space, HoconNode Value)> Parts) : HoconNode(Location);

/// <summary>One key of an object: where it was written, and its value.</summary>
/// <param name="Previous">What the key held before this definition, kept while <see cref="Value"/> holds a substitution,
/// because an unset <c>${?VAR}</c> leaves the earlier value in place.</param>
public sealed record HoconField(ConfigLocation Location, HoconNode Value, HoconField? Previous);

/// <summary>An object; its keys keep the order they were first written in.</summary>
public sealed record HoconObject(ConfigLocation Location) : HoconNode(Location)
{
    public OrderedDictionary<string, HoconField> Fields { get; } = new(StringComparer.Ordinal);

    /// <summary>Sets <paramref name="key"/> as HOCON does: an object over an object merges into it, anything else replaces.</summary>
    public void Set(string key, HoconField field)
    {
        ArgumentNullException.ThrowIfNull(field);
        if (!Fields.TryGetValue(key, out var existing))
        {
            Fields[key] = field;
        }
        else if (existing.Value is HoconObject existingObject && field.Value is HoconObject added)
        {
            // In place: a parsed tree's objects belong to it alone, and copying here would make repeated keys quadratic.
            existingObject.MergeFrom(added);
            Fields[key] = new HoconField(field.Location, existingObject, null);
        }
        else
        {
            var keepsPrevious = field.Value is HoconSubstitution or HoconConcatenation;
            Fields[key] = keepsPrevious ? WithEarliest(field, existing) : field with { Previous = null };
        }
    }

    /// <summary>Sets every key of <paramref name="other"/> over this object's.</summary>
    public void MergeFrom(HoconObject other)
    {
        ArgumentNullException.ThrowIfNull(other);
        foreach (var (key, field) in other.Fields)
        {
            Set(key, field);
        }
    }

    /// <summary><paramref name="field"/> with <paramref name="earliest"/> at the end of its chain of earlier values: a
    /// later layer's definitions come after everything a lower layer had.</summary>
    private static HoconField WithEarliest(HoconField field, HoconField earliest) =>
        field with { Previous = field.Previous is null ? earliest : WithEarliest(field.Previous, earliest) };

    /// <summary>A copy that merging into leaves this object as it was; nested objects are copied too.</summary>
    public HoconObject Copy()
    {
        var copy = new HoconObject(Location);
        foreach (var (key, field) in Fields)
        {
            copy.Fields[key] = field.Value is HoconObject nested ? field with { Value = nested.Copy() } : field;
        }

        return copy;
    }
}
