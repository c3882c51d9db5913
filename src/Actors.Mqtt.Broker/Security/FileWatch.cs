namespace Actors.Mqtt.Broker.Security;

/// <summary>
/// Calls back when a file changes, is replaced (editors and <c>mosquitto_passwd</c> write a new file and rename it)
/// or removed. The folder is watched rather than the file, so a replaced file is still seen.
/// </summary>
internal sealed class FileWatch : IDisposable
{
    private readonly FileSystemWatcher watcher;

    public FileWatch(string path, Action changed)
    {
        var full = Path.GetFullPath(path);
        watcher = new FileSystemWatcher(Path.GetDirectoryName(full)!, Path.GetFileName(full))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        watcher.Changed += (_, _) => changed();
        watcher.Created += (_, _) => changed();
        watcher.Deleted += (_, _) => changed();
        watcher.Renamed += (_, _) => changed();
        watcher.EnableRaisingEvents = true;
    }

    public void Dispose() => watcher.Dispose();
}
