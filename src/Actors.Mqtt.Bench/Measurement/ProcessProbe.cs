using System.Globalization;

namespace Actors.Mqtt.Bench.Measurement;

/// <summary>
/// CPU time and resident memory of other processes (a broker, or every node of a cluster), summed, read from /proc:
/// utime+stime of /proc/PID/stat and VmRSS of /proc/PID/status. Linux only; null readings elsewhere or once one of the
/// processes is gone.
/// </summary>
public sealed class ProcessProbe(IReadOnlyList<int> pids)
{
    // USER_HZ, the unit of utime and stime: 100 on every Linux architecture .NET runs on.
    private const double TicksPerSecond = 100;

    public ProcessProbe(int pid)
        : this([pid])
    {
    }

    public IReadOnlyList<int> Pids { get; } = pids;

    /// <summary>True when /proc/PID/stat of every process can be read now.</summary>
    public bool IsReadable => CpuSeconds() is not null;

    /// <summary>User plus system CPU seconds the processes have used so far.</summary>
    public double? CpuSeconds() => Sum(CpuSeconds);

    /// <summary>Resident set size in bytes.</summary>
    public long? RssBytes() => (long?)Sum(pid => RssBytes(pid));

    private double? Sum(Func<int, double?> read)
    {
        var total = 0.0;
        foreach (var pid in Pids)
        {
            if (read(pid) is not { } value)
            {
                return null;
            }

            total += value;
        }

        return total;
    }

    private static double? CpuSeconds(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
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

    private static long? RssBytes(int pid)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{pid}/status");
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
