using System.Reflection;
using System.Runtime.Loader;

namespace Actors.Mqtt.Broker.Extensions;

/// <summary>
/// Finds an extension's class: in an assembly the broker has (a built-in, or one beside the broker's own), or in the
/// assembly at <c>assembly-path</c>, loaded with its own dependencies beside it. The broker's assemblies and Akka's are
/// shared with the extension, so the types it receives are the broker's own.
/// </summary>
internal static class ExtensionLoader
{
    public static IBrokerExtension Load(string typeName, string? assemblyPath, string key)
    {
        Type? type;
        try
        {
            type = assemblyPath is null ? Type.GetType(typeName, throwOnError: false) : FromFile(typeName, assemblyPath, key);
        }
        catch (Exception e) when (e is FileLoadException or BadImageFormatException or FileNotFoundException)
        {
            throw BrokerSettings.Invalid($"{key}.assembly-path", $"'{assemblyPath}' could not be loaded: {e.Message}");
        }

        if (type is null)
        {
            throw BrokerSettings.Invalid($"{key}.type", assemblyPath is null
                ? $"no class '{typeName}' in the broker's assemblies: name its assembly after a comma, and its file in assembly-path when it is not beside the broker"
                : $"no class '{typeName}' in {assemblyPath}");
        }

        if (!typeof(IBrokerExtension).IsAssignableFrom(type) || type.IsAbstract)
        {
            throw BrokerSettings.Invalid($"{key}.type", $"{type.FullName} does not implement Actors.Mqtt.Broker.Extensions.IBrokerExtension");
        }

        if (type.GetConstructor(Type.EmptyTypes) is null)
        {
            throw BrokerSettings.Invalid($"{key}.type", $"{type.FullName} has no public constructor without parameters");
        }

        try
        {
            return (IBrokerExtension)Activator.CreateInstance(type)!;
        }
        catch (TargetInvocationException e)
        {
            throw BrokerSettings.Invalid($"{key}.type", $"{type.FullName} failed to construct: {e.InnerException?.Message ?? e.Message}");
        }
    }

    private static Type? FromFile(string typeName, string assemblyPath, string key)
    {
        if (!File.Exists(assemblyPath))
        {
            throw BrokerSettings.Invalid($"{key}.assembly-path", $"file '{assemblyPath}' does not exist");
        }

        // "Namespace.Class, Assembly": the class is looked up in the file named, whatever assembly name follows the comma.
        var className = typeName.Split(',')[0].Trim();
        var assembly = Contexts.GetOrAdd(assemblyPath, path => new ExtensionLoadContext(path)).LoadFromAssemblyPath(assemblyPath);
        return assembly.GetType(className, throwOnError: false);
    }

    // One context per file, however many times the configuration is read (the host reads it to check it, then to start).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, ExtensionLoadContext> Contexts = new(StringComparer.Ordinal);

    /// <summary>Resolves an extension's own dependencies from its deps.json and folder; anything the broker already
    /// has comes from the broker, so both sides mean the same types.</summary>
    private sealed class ExtensionLoadContext(string path) : AssemblyLoadContext(Path.GetFileNameWithoutExtension(path))
    {
        private readonly AssemblyDependencyResolver resolver = new(path);

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            if (Default.Assemblies.Any(a => AssemblyName.ReferenceMatchesDefinition(a.GetName(), assemblyName)) || IsSharedByName(assemblyName))
            {
                return null;
            }

            return resolver.ResolveAssemblyToPath(assemblyName) is { } file ? LoadFromAssemblyPath(file) : null;
        }

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
            resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } file ? LoadUnmanagedDllFromPath(file) : IntPtr.Zero;

        // The broker's and Akka's assemblies may not be loaded yet when the extension first needs one; they must still
        // come from the broker's folder.
        private static bool IsSharedByName(AssemblyName name) =>
            name.Name is { } n && (n.StartsWith("Actors.Mqtt.", StringComparison.Ordinal) || n == "Akka" || n.StartsWith("Akka.", StringComparison.Ordinal)
                || File.Exists(Path.Combine(AppContext.BaseDirectory, n + ".dll")));
    }
}
