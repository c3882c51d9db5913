using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace Actors.Mqtt.Tests.Conformance;

/// <summary>
/// Finds which tests exercise which normative statement: a test carries an id in its name
/// (<c>MQTT_3_3_1_4_...</c>, or <c>MQTT_v311_3_1_2_22_...</c> for an id in 3.1.1's numbering) or in
/// <c>[Trait("spec", "MQTT-3.3.1-4")]</c>, and renders the table that docs/conformance.md holds for each test
/// assembly. This file is compiled into every test project (linked), so each checks its own table.
/// </summary>
public static partial class SpecCoverage
{
    public static string BlockStart(Assembly assembly) => $"<!-- spec-tests:{assembly.GetName().Name}:start -->";

    public static string BlockEnd(Assembly assembly) => $"<!-- spec-tests:{assembly.GetName().Name}:end -->";

    public static SortedDictionary<string, SortedSet<string>> Collect(Assembly assembly)
    {
        var map = new SortedDictionary<string, SortedSet<string>>(SpecIdComparer.Instance);
        foreach (var type in assembly.GetTypes())
        {
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            {
                if (method.GetCustomAttributes<FactAttribute>(inherit: true).FirstOrDefault() is null)
                {
                    continue;
                }

                foreach (var id in IdsOf(method))
                {
                    if (!map.TryGetValue(id, out var tests))
                    {
                        map[id] = tests = new SortedSet<string>(StringComparer.Ordinal);
                    }

                    tests.Add($"{type.Name}.{method.Name}");
                }
            }
        }

        return map;
    }

    public static IEnumerable<string> IdsOf(MethodInfo method)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var match = NamePattern().Match(method.Name);
        if (match.Success)
        {
            var id = $"MQTT-{match.Groups[2].Value}.{match.Groups[3].Value}.{match.Groups[4].Value}-{match.Groups[5].Value}";
            ids.Add(match.Groups[1].Success ? id + " (3.1.1)" : id);
        }

        foreach (var trait in method.GetCustomAttributesData().Where(a => a.AttributeType == typeof(TraitAttribute)))
        {
            if (trait.ConstructorArguments is [{ Value: "spec" }, { Value: string value }])
            {
                ids.Add(value);
            }
        }

        return ids;
    }

    public static string Render(Assembly assembly)
    {
        var map = Collect(assembly);
        var b = new StringBuilder();
        b.Append(BlockStart(assembly)).Append('\n');
        b.Append("| id | tests |\n|---|---|\n");
        foreach (var (id, tests) in map)
        {
            b.Append("| ").Append(id).Append(" | ").Append(string.Join("<br>", tests.Select(t => $"`{t}`"))).Append(" |\n");
        }

        b.Append(BlockEnd(assembly));
        return b.ToString();
    }

    [GeneratedRegex(@"^MQTT_(v311_)?(\d+)_(\d+)_(\d+)_(\d+)(?:_|$)")]
    private static partial Regex NamePattern();

    /// <summary>Orders ids by their numbers (3.10 after 3.9), so the table reads like the spec.</summary>
    private sealed class SpecIdComparer : IComparer<string>
    {
        public static readonly SpecIdComparer Instance = new();

        public int Compare(string? x, string? y)
        {
            var a = Numbers(x);
            var b = Numbers(y);
            for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
            {
                if (a[i] != b[i])
                {
                    return a[i].CompareTo(b[i]);
                }
            }

            return a.Length != b.Length ? a.Length.CompareTo(b.Length) : string.CompareOrdinal(x, y);
        }

        private static int[] Numbers(string? id) =>
            Regex.Matches(id ?? string.Empty, @"\d+").Select(m => int.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }
}
