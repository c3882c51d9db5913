namespace Actors.Mqtt.Tests;

/// <summary>The checked-out repository the tests run from: for the files operators read (docs, example configs) and
/// what other projects of it built.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
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
