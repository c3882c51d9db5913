using System.Globalization;

namespace Actors.Mqtt.Bench.Measurement;

/// <summary>
/// CPU time and resident memory of another process, read from /proc: utime+stime of /proc/PID/stat and VmRSS of
/// /proc/PID/status. Linux only; null readings elsewhere or once the process is gone.
/// </summary>
public sealed class ProcessProbe(int pid)
{
    // USER_HZ, the unit of utime and stime: 100 on every Linux architecture .NET runs on.
    private const double TicksPerSecond = 100;

    public int Pid { get; } = pid;

    /// <summary>True when /proc/PID/stat can be read now.</summary>
    public bool IsReadable => CpuSeconds() is not null;

    /// <summary>User plus system CPU seconds the process has used so far.</summary>
    public double? CpuSeconds()
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{Pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // Fields 14 (utime) and 15 (stime) of the whole line are 12 and 13 after the name.
        if (fields.Length < 13
            || !long.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out var user)
            || !long.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out var system))
        {
            return null;
        }

        return (user + system) / TicksPerSecond;
    }

    /// <summary>Resident set size in bytes.</summary>
    public long? RssBytes()
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{Pid}/status");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        var line = lines.FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        var parts = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts is { Length: >= 2 } && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kib)
            ? kib * 1024
            : null;
    }
}
