using Actors.Mqtt.Server.Configuration.Hocon;
using Akka.Configuration;

namespace Actors.Mqtt.Server.Configuration;

/// <summary>
/// The strict loader: parses each layer with our own parser, merges them over the reference configuration, resolves
/// substitutions, checks every key and type against the reference, and only then hands Akka a text rendered from the
/// checked tree, so Akka's parser never sees what an operator wrote.
/// </summary>
public static class StrictConfig
{
    /// <param name="references">The embedded reference configurations, later ones winning; they declare the keys.</param>
    /// <param name="layers">The operator's layers over them (file, then each <c>--set</c>), later ones winning.</param>
    /// <param name="environment">Reads an environment variable for <c>${VAR}</c>.</param>
    /// <param name="openSections">Sections the references do not list, with their known immediate children;
    /// <see cref="ConfigSchema.AkkaSection"/> if null.</param>
    public static Config Build(
        IEnumerable<ConfigLayer> references,
        IEnumerable<ConfigLayer> layers,
        Func<string, string?> environment,
        IReadOnlyDictionary<string, IReadOnlySet<string>>? openSections = null)
    {
        ArgumentNullException.ThrowIfNull(references);
        ArgumentNullException.ThrowIfNull(layers);
        var reference = Merge(references);
        var schema = new ConfigSchema(reference.Copy(), openSections ?? ConfigSchema.AkkaSection);
        var tree = reference;
        var files = new List<string>();
        foreach (var layer in layers)
        {
            tree.MergeFrom(Parse(layer));
            if (layer.IsFile)
            {
                files.Add(layer.Source);
            }
        }

        HoconResolver.Resolve(tree, environment);
        schema.Validate(tree);
        return ToAkka(tree, "configuration", files);
    }

    /// <summary>Syntax only, no reference: parses, resolves and renders <paramref name="text"/> for Akka.</summary>
    public static Config ParseUnchecked(string text, string source, Func<string, string?> environment)
    {
        var tree = HoconParser.Parse(text, source, isFile: false);
        HoconResolver.Resolve(tree, environment);
        return ToAkka(tree, source, []);
    }

    /// <summary>Parses <paramref name="layers"/> and merges them, later ones winning.</summary>
    public static HoconObject Merge(IEnumerable<ConfigLayer> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        HoconObject? merged = null;
        foreach (var layer in layers)
        {
            var parsed = Parse(layer);
            if (merged is null)
            {
                merged = parsed;
            }
            else
            {
                merged.MergeFrom(parsed);
            }
        }

        return merged ?? new HoconObject(new ConfigLocation("(empty)", null, null, IsFile: false));
    }

    private static HoconObject Parse(ConfigLayer layer) => HoconParser.Parse(layer.Text, layer.Source, layer.IsFile, layer.HasLines);

    private static Config ToAkka(HoconObject tree, string source, IReadOnlyList<string> files)
    {
        var text = HoconRenderer.Render(tree);
        Config config;
        try
        {
            config = ConfigurationFactory.ParseString(text);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The rendered text is ours; Akka refusing it is a bug here, not in the operator's file.
            throw new ConfigException(source, $"Akka refused the checked configuration: {e.Message}", e);
        }

        ConfigSource.Register(config, tree, files);
        return config;
    }
}
