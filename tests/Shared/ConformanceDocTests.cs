using System.Reflection;

namespace Actors.Mqtt.Tests.Conformance;

/// <summary>Keeps docs/conformance.md true: its table of tests per spec id is what the test assembly holds.</summary>
public class ConformanceDocTests
{
    [Fact]
    public void Conformance_doc_lists_every_spec_test_of_this_assembly()
    {
        var assembly = typeof(ConformanceDocTests).Assembly;
        DocFile.Check(SpecCoverage.BlockStart(assembly), SpecCoverage.BlockEnd(assembly), SpecCoverage.Render(assembly));
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
}
