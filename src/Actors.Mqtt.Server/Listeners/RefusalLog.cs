namespace Actors.Mqtt.Server.Listeners;

/// <summary>
/// Logs refused connections of one kind: a line for a refusal, but at most one a second, each saying how many were
/// refused since the line before, so a flood of refusals cannot flood the log.
/// </summary>
/// <param name="time">The clock; tests pass their own.</param>
internal sealed partial class RefusalLog(ILogger logger, string reason, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    private long _lastLine = long.MinValue / 2;
    private int _refused;

    public void Refused(string listener, string remote)
    {
        Interlocked.Increment(ref _refused);
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastLine);
        if (now - last >= _time.TimestampFrequency && Interlocked.CompareExchange(ref _lastLine, now, last) == last)
        {
            LogRefused(logger, listener, remote, reason, Math.Max(Interlocked.Exchange(ref _refused, 0), 1));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Listener} connection from {Remote} refused: {Reason} ({Refused} refused since the previous line)")]
    private static partial void LogRefused(ILogger logger, string listener, string remote, string reason, int refused);
}
