using System.Text;

namespace Actors.Mqtt.Server.Configuration.Hocon;

/// <summary>
/// Replaces every substitution of a merged tree by its value, in place: <c>${path}</c> is a key of the whole
/// configuration if there is one, else the environment variable of that name. A required one that is neither is an
/// error at the line that uses it; an unset <c>${?path}</c> leaves the key as it was before that line (or unset).
/// </summary>
public sealed class HoconResolver
{
    /// <summary>Keys resolved within one another; real configurations chain two or three.</summary>
    public const int MaxChain = 64;

    private readonly HoconObject _root;
    private readonly Func<string, string?> _environment;
    private readonly HashSet<string> _inProgress = new(StringComparer.Ordinal);
    private readonly HashSet<string> _done = new(StringComparer.Ordinal);

    private HoconResolver(HoconObject root, Func<string, string?> environment)
    {
        _root = root;
        _environment = environment;
    }

    /// <param name="environment">Reads an environment variable; tests pass their own.</param>
    public static void Resolve(HoconObject root, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(environment);
        new HoconResolver(root, environment).ResolveObject(root, "");
    }

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    private void ResolveObject(HoconObject target, string path)
    {
        foreach (var key in target.Fields.Keys.ToList())
        {
            ResolveField(target, key, Join(path, key));
        }
    }

    /// <summary>Resolves one key where it stands, and returns its value, or null when an unset <c>${?...}</c> leaves it unset.</summary>
    private HoconNode? ResolveField(HoconObject parent, string key, string path)
    {
        if (!parent.Fields.TryGetValue(key, out var field))
        {
            return null;
        }

        if (_done.Contains(path))
        {
            return field.Value;
        }

        if (!_inProgress.Add(path))
        {
            throw new ConfigException(field.Location, path, "its value refers back to itself through substitutions");
        }

        // Each key waiting on another is a level of recursion here; a long chain must not overflow the stack.
        if (_inProgress.Count > MaxChain)
        {
            throw new ConfigException(field.Location, path, $"substitutions refer to substitutions more than {MaxChain} deep");
        }

        for (var current = field; ; current = current.Previous)
        {
            var value = current is null ? null : ResolveValue(current.Value, path);
            if (current is null || value is not null)
            {
                if (current is null)
                {
                    parent.Fields.Remove(key);
                }
                else
                {
                    parent.Fields[key] = new HoconField(current.Location, value!, null);
                }

                _inProgress.Remove(path);
                _done.Add(path);
                return value;
            }
        }
    }

    private HoconNode? ResolveValue(HoconNode node, string path)
    {
        switch (node)
        {
            case HoconObject nested:
                ResolveObject(nested, path);
                return nested;
            case HoconArray array:
                var items = new List<HoconNode>(array.Items.Count);
                for (var i = 0; i < array.Items.Count; i++)
                {
                    if (ResolveValue(array.Items[i], $"{path}[{i}]") is { } item)
                    {
                        items.Add(item);
                    }
                }

                return array with { Items = items };
            case HoconSubstitution substitution:
                return Lookup(substitution, path);
            case HoconConcatenation concatenation:
                return Concatenate(concatenation, path);
            default:
                return node;
        }
    }

    private HoconScalar Concatenate(HoconConcatenation concatenation, string path)
    {
        var text = new StringBuilder();
        foreach (var (space, part) in concatenation.Parts)
        {
            text.Append(space);
            switch (ResolveValue(part, path))
            {
                case HoconScalar scalar:
                    text.Append(scalar.Text);
                    break;
                case null:
                    break;
                default:
                    throw new ConfigException(part.Location, path, "an object or list cannot be joined with text");
            }

            if (text.Length > HoconLimits.MaxBytes)
            {
                throw new ConfigException(concatenation.Location, path, $"its value grows beyond {HoconLimits.MaxBytes} characters through substitutions");
            }
        }

        return new HoconScalar(concatenation.Location, text.ToString(), HoconScalarKind.Text);
    }

    private HoconNode? Lookup(HoconSubstitution substitution, string path)
    {
        var found = LookupKey(substitution.Path);
        if (found is not null)
        {
            return found is HoconScalar scalar ? scalar with { Location = substitution.Location } : found;
        }

        if (_environment(substitution.Path) is { } variable)
        {
            return new HoconScalar(substitution.Location, variable, HoconScalarKind.Text);
        }

        return substitution.Optional
            ? null
            : throw new ConfigException(
                substitution.Location,
                path,
                $"${{{substitution.Path}}} is neither a key nor a set environment variable; write ${{?{substitution.Path}}} to keep the default when it is unset");
    }

    private HoconNode? LookupKey(string path)
    {
        HoconNode? current = _root;
        var walked = "";
        var names = path.Split('.');
        for (var i = 0; i < names.Length; i++)
        {
            if (current is not HoconObject parent || !parent.Fields.TryGetValue(names[i], out var field))
            {
                return null;
            }

            walked = Join(walked, names[i]);
            // Objects on the way are walked through, not resolved: the key being resolved may be inside them.
            current = i < names.Length - 1 && field.Value is HoconObject nested ? nested : ResolveField(parent, names[i], walked);
        }

        return current;
    }
}
