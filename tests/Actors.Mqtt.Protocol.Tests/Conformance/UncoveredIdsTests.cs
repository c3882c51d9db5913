using System.Text;
using System.Text.RegularExpressions;
using Actors.Mqtt.Tests.Conformance;

namespace Actors.Mqtt.Protocol.Tests.Conformance;

/// <summary>
/// Keeps the "not covered yet" list of docs/conformance.md true: every MQTT 5.0 statement id that no table of the
/// document names. One test project checks it, so parallel test processes do not both rewrite it.
/// </summary>
public partial class UncoveredIdsTests
{
    private const string Start = "<!-- spec-uncovered:start -->";
    private const string End = "<!-- spec-uncovered:end -->";

    [Fact]
    public void Conformance_doc_lists_every_id_no_test_covers()
    {
        var all = File.ReadAllLines(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(DocFile.Path)!, "mqtt-5.0-statement-ids.txt"))
            .Where(line => line.StartsWith("MQTT-", StringComparison.Ordinal))
            .ToList();
        var doc = File.ReadAllText(DocFile.Path);
        var covered = CoveredRow().Matches(doc).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var b = new StringBuilder(Start).Append('\n');
        foreach (var section in all.Where(id => !covered.Contains(id)).GroupBy(Section))
        {
            b.Append("- ").Append(section.Key).Append(": ").Append(string.Join(", ", section)).Append('\n');
        }

        b.Append(End);
        Assert.True(all.Count > 200, "the list of statement ids is missing or cut short");
        DocFile.Check(Start, End, b.ToString());
    }

    /// <summary>"MQTT-3.1.2-4" belongs to section 3.1.</summary>
    private static string Section(string id)
    {
        var numbers = id["MQTT-".Length..].Split('.', '-');
        return $"{numbers[0]}.{numbers[1]}";
    }

    [GeneratedRegex(@"^\| (MQTT-[\d.]+-\d+) \|", RegexOptions.Multiline)]
    private static partial Regex CoveredRow();
}
