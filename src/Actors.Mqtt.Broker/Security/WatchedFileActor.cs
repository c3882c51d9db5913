using Akka.Actor;
using Akka.Event;

namespace Actors.Mqtt.Broker.Security;

/// <summary>
/// Owns the current contents of one security file: reads it again when it changes on disk or on
/// <see cref="ReloadSecurityFiles"/> (SIGHUP), and keeps what it had when the new contents are wrong, with a log line
/// saying why. Connections are never touched by a reload.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "An actor releases what it holds in PostStop, not in Dispose.")]
public abstract class WatchedFileActor<T> : ReceiveActor, IWithTimers
    where T : class
{
    private const string ReloadTimer = "reload";

    // Editors and mosquitto_passwd write in several steps; one read after the burst sees the finished file.
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(250);

    private readonly string? path;
    private readonly string what;
    private FileWatch? watch;

    protected WatchedFileActor(string? path, T? initial, string what)
    {
        this.path = path;
        this.what = what;
        Current = initial;
        Receive<FileTouched>(_ => Timers.StartSingleTimer(ReloadTimer, ReloadSecurityFiles.Instance, Settle));
        Receive<ReloadSecurityFiles>(_ => Reload());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected T? Current { get; private set; }

    protected ILoggingAdapter Log { get; } = Context.GetLogger();

    protected override void PreStart()
    {
        if (path is not null)
        {
            var self = Self;
            watch = new FileWatch(path, () => self.Tell(FileTouched.Instance));
        }

        Context.System.EventStream.Subscribe<ReloadSecurityFiles>(Self);
    }

    /// <summary>A restart begins from the contents given at start-up; read the file again so a reload is not undone.</summary>
    protected override void PostRestart(Exception reason)
    {
        base.PostRestart(reason);
        Self.Tell(ReloadSecurityFiles.Instance);
    }

    protected override void PostStop() => watch?.Dispose();

    protected abstract T Load(string file);

    /// <summary>Called after <see cref="Current"/> changed.</summary>
    protected virtual void OnReloaded()
    {
    }

    private void Reload()
    {
        if (path is null)
        {
            return;
        }

        try
        {
            Current = Load(path);
            Log.Info("{What} {File} reloaded", what, path);
            OnReloaded();
            Context.System.EventStream.Publish(new SecurityFileReloaded(path, null));
        }
        catch (SecurityFileException e)
        {
            Log.Warning("{What} {File} not reloaded, keeping the rules loaded before: {Problem}", what, path, e.Message);
            Context.System.EventStream.Publish(new SecurityFileReloaded(path, e.Message));
        }
    }

    private sealed record FileTouched
    {
        public static readonly FileTouched Instance = new();
    }
}
