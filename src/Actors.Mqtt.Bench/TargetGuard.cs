using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Actors.Mqtt.Bench;

/// <summary>
/// Resolves the target and refuses one off this machine unless the operator said so: a load generator pointed at
/// someone else's broker by a typo is a denial of service.
/// </summary>
public static class TargetGuard
{
    /// <summary>The endpoint to load, or an error message saying why the target is refused.</summary>
    public static async Task<(IPEndPoint? EndPoint, string? Error)> ResolveAsync(string host, int port, bool allowRemote, CancellationToken cancellationToken)
    {
        if (port is < 1 or > 65535)
        {
            return (null, $"port {port} is outside 1-65535");
        }

        IPAddress[] addresses;
        if (IPAddress.TryParse(host, out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(host, cancellationToken);
            }
            catch (SocketException e)
            {
                return (null, $"cannot resolve host '{host}': {e.Message}");
            }
        }

        if (addresses.Length == 0)
        {
            return (null, $"host '{host}' resolves to no address");
        }

        if (!allowRemote && !addresses.All(IPAddress.IsLoopback))
        {
            return (null, $"refusing to load '{host}' ({string.Join(", ", addresses.Select(a => a.ToString()))}): not a loopback address; pass --allow-remote to load a broker on another machine you are allowed to load");
        }

        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses[0];
        return (new IPEndPoint(chosen, port), null);
    }

    /// <summary>
    /// Null when process <paramref name="pid"/> of this machine holds a socket listening on TCP <paramref name="port"/>,
    /// else why the tool refuses to kill it: a typo in a pid must not take down something that is not the broker node.
    /// Reads /proc/net/tcp and tcp6 for the listening sockets' inodes and /proc/PID/fd for the process's sockets.
    /// </summary>
    public static string? CheckKillTarget(int pid, int port)
    {
        var listening = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table))
            {
                continue;
            }

            foreach (var line in File.ReadLines(table).Skip(1))
            {
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 9 && fields[3] == "0A"
                    && int.Parse(fields[1][(fields[1].LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port)
                {
                    listening.Add($"socket:[{fields[9]}]");
                }
            }
        }

        string[] descriptors;
        try
        {
            descriptors = Directory.GetFiles($"/proc/{pid}/fd");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot read /proc/{pid}/fd ({e.Message}): --kill-pid must be a process of this machine that this user may inspect";
        }

        foreach (var descriptor in descriptors)
        {
            try
            {
                if (new FileInfo(descriptor).LinkTarget is { } target && listening.Contains(target))
                {
                    return null;
                }
            }
            catch (IOException)
            {
                // Closed while we looked: not the listening socket, which stays open.
            }
        }

        return $"process {pid} does not listen on port {port}: --kill-pid must be the broker node at the first --port";
    }
}
