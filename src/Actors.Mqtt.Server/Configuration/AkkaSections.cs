using System.Reflection;
using Akka.Configuration;

namespace Actors.Mqtt.Server.Configuration;

/// <summary>
/// The sections directly under <c>akka</c> that the Akka.NET modules shipped with the broker define: their embedded
/// <c>.conf</c> resources, found by walking the Akka assemblies the broker references, so a module added later counts
/// without a list to maintain.
/// </summary>
public static class AkkaSections
{
    public static IReadOnlySet<string> Known { get; } = Collect();

    private static HashSet<string> Collect()
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var assembly in AkkaAssemblies())
        {
            foreach (var name in assembly.GetManifestResourceNames().Where(n => n.EndsWith(".conf", StringComparison.OrdinalIgnoreCase)))
            {
                using var stream = assembly.GetManifestResourceStream(name);
                if (stream is null)
                {
                    continue;
                }

                using var reader = new StreamReader(stream);
                var config = ConfigurationFactory.ParseString(reader.ReadToEnd());
                if (config.HasPath("akka") && config.GetValue("akka").IsObject())
                {
                    known.UnionWith(config.GetConfig("akka").Root.GetObject().Items.Keys);
                }
            }
        }

        return known;
    }

    private static IEnumerable<Assembly> AkkaAssemblies()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<Assembly>([typeof(AkkaSections).Assembly]);
        while (pending.TryPop(out var assembly))
        {
            foreach (var reference in assembly.GetReferencedAssemblies())
            {
                if (reference.Name is { } name && (name.StartsWith("Akka", StringComparison.Ordinal) || name.StartsWith("Actors.Mqtt", StringComparison.Ordinal))
                    && seen.Add(name))
                {
                    var loaded = Assembly.Load(reference);
                    pending.Push(loaded);
                    if (name.StartsWith("Akka", StringComparison.Ordinal))
                    {
                        yield return loaded;
                    }
                }
            }
        }
    }
}
