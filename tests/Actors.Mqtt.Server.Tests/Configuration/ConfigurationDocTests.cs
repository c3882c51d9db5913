using System.Text.RegularExpressions;
using Actors.Mqtt.Server.Configuration;
using Actors.Mqtt.Server.Configuration.Hocon;
using Actors.Mqtt.Tests;

namespace Actors.Mqtt.Server.Tests.Configuration;

/// <summary>Keeps docs/configuration.md true to the reference configurations the loader checks keys against.</summary>
public sealed partial class ConfigurationDocTests
{
    private static readonly string Doc = File.ReadAllText(Path.Combine(Repository.Root, "docs", "configuration.md"));

    private static readonly HoconObject Reference = StrictConfig.Merge(ConfigLoader.References);

    [Fact]
    public void Every_key_of_the_reference_configs_has_a_row_with_its_default()
    {
        var documented = DocumentedKeys();
        var leaves = Leaves(Reference, "").ToList();

        Assert.NotEmpty(leaves);
        Assert.All(leaves, leaf =>
        {
            Assert.True(documented.ContainsKey(leaf.Key), $"{leaf.Key} has no row in docs/configuration.md");
            if (leaf.Value is HoconScalar scalar)
            {
                Assert.Equal(scalar.Text, documented[leaf.Key].Trim('"'));
            }
        });
    }

    [Fact]
    public void Every_documented_key_is_in_a_reference_config()
    {
        var known = Leaves(Reference, "").Select(l => l.Key).ToHashSet(StringComparer.Ordinal);

        Assert.All(DocumentedKeys().Keys, key => Assert.Contains(key, known));
    }

    [Fact]
    public void Every_hocon_example_in_the_doc_is_valid_syntax()
    {
        var blocks = HoconBlockPattern().Matches(Doc).Select(m => m.Groups["text"].Value).ToList();

        Assert.NotEmpty(blocks);
        Assert.All(blocks, block => HoconParser.Parse(block, "docs/configuration.md", isFile: false));
    }

    private static Dictionary<string, string> DocumentedKeys() =>
        RowPattern().Matches(Doc).ToDictionary(m => m.Groups["key"].Value, m => m.Groups["default"].Value, StringComparer.Ordinal);

    private static IEnumerable<KeyValuePair<string, HoconNode>> Leaves(HoconObject node, string path)
    {
        foreach (var (key, field) in node.Fields)
        {
            var full = path.Length == 0 ? key : $"{path}.{key}";
            if (field.Value is HoconObject nested)
            {
                foreach (var leaf in Leaves(nested, full))
                {
                    yield return leaf;
                }
            }
            else
            {
                yield return new(full, field.Value);
            }
        }
    }

    [GeneratedRegex(@"^\| `(?<key>(actors-mqtt|akka)\.[^`]+)` \| `(?<default>[^`]*)` \|", RegexOptions.Multiline)]
    private static partial Regex RowPattern();

    [GeneratedRegex(@"^```hocon\n(?<text>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex HoconBlockPattern();
}
