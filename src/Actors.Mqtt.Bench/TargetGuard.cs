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
}
