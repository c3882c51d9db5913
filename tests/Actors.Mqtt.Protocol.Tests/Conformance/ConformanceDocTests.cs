using System.Reflection;

namespace Actors.Mqtt.Protocol.Tests.Conformance;

/// <summary>Keeps docs/conformance.md true: its table of tests per spec id is what the test assembly holds.</summary>
public class ConformanceDocTests
{
    [Fact]
    public void Conformance_doc_lists_every_spec_test_of_this_assembly()
    {
        var path = Path.Combine(RepositoryRoot(), "docs", "conformance.md");
        var doc = File.ReadAllText(path).ReplaceLineEndings("\n");
        var expected = SpecCoverage.Render(SpecCoverage.Collect(typeof(ConformanceDocTests).Assembly));
        var start = doc.IndexOf(SpecCoverage.BlockStart, StringComparison.Ordinal);
        var end = doc.IndexOf(SpecCoverage.BlockEnd, StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, $"{path} has no block between {SpecCoverage.BlockStart} and {SpecCoverage.BlockEnd}");
        var actual = doc[start..(end + SpecCoverage.BlockEnd.Length)];
        if (actual != expected && Environment.GetEnvironmentVariable("UPDATE_CONFORMANCE") == "1")
        {
            File.WriteAllText(path, doc[..start] + expected + doc[(end + SpecCoverage.BlockEnd.Length)..]);
            return;
        }

        Assert.True(actual == expected, "docs/conformance.md is out of date; run the tests once with UPDATE_CONFORMANCE=1 to regenerate the table, then review and commit it.");
    }

    [Fact]
    public void Spec_ids_are_read_from_names_and_traits()
    {
        var method = typeof(ConformanceDocTests).GetMethod(nameof(MQTT_v311_3_1_2_22_sample), BindingFlags.NonPublic | BindingFlags.Static)!;
        Assert.Equal(["MQTT-3.1.2-22 (3.1.1)", "MQTT-1.5.4-1"], SpecCoverage.IdsOf(method).Order(StringComparer.Ordinal).Reverse());
    }

    // Not a test: a method shaped like one, for the id reader above.
    [Trait("spec", "MQTT-1.5.4-1")]
    private static void MQTT_v311_3_1_2_22_sample()
    {
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Actors.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Actors.sln not found above " + AppContext.BaseDirectory);
    }
}
