using System.Collections.Concurrent;
using System.Net;
using Actors.Mqtt.Broker;
using Actors.Mqtt.Server.Configuration;

namespace Actors.Mqtt.Server.Listeners;

/// <summary>
/// Decides, before any MQTT is read, whether a new connection may go on: the connect rate of its source address,
/// the listener's <c>max-connections</c> and the broker's <c>actors-mqtt.limits.max-connections</c>. A refused
/// connection is closed at once, as Mosquitto does with <c>max_connections</c>; the connections already open are
/// not touched.
/// </summary>
public sealed class ConnectionAdmission
{
    private readonly ConnectionCounter _global;
    private readonly ConcurrentDictionary<string, ConnectionCounter> _listeners = new(StringComparer.Ordinal);
    private readonly ConnectRateLimiter _rate;
    private readonly RefusalLog _overListener;
    private readonly RefusalLog _overGlobal;
    private readonly RefusalLog _overRate;

    /// <param name="maxConnections">Connections open at once over all listeners; 0 is no limit.</param>
    /// <param name="connectRate">New connections a second from one source address; 0 is no limit.</param>
    public ConnectionAdmission(int maxConnections, double connectRate, ILogger<ConnectionAdmission> logger)
    {
        _global = new ConnectionCounter(maxConnections);
        _rate = new ConnectRateLimiter(connectRate);
        _overListener = new RefusalLog(logger, "the listener's max-connections is reached");
        _overGlobal = new RefusalLog(logger, $"actors-mqtt.limits.max-connections ({maxConnections}) is reached");
        _overRate = new RefusalLog(logger, "too many new connections from this address (actors-mqtt.limits.connect-rate)");
    }

    /// <summary>A connection admitted; disposing it gives its place back.</summary>
    public sealed class Admitted : IDisposable
    {
        private ConnectionCounter? _listener;
        private ConnectionCounter? _global;

        internal Admitted(ConnectionCounter listener, ConnectionCounter global)
        {
            _listener = listener;
            _global = global;
        }

        public void Dispose()
        {
            Interlocked.Exchange(ref _listener, null)?.Release();
            Interlocked.Exchange(ref _global, null)?.Release();
        }
    }

    /// <summary>Connections open now on each listener that has had one.</summary>
    internal IEnumerable<(string Listener, int Open)> OpenConnections =>
        _listeners.Select(l => (l.Key, l.Value.Count));

    /// <summary>Admits the connection, or logs why not and returns null.</summary>
    internal Admitted? TryAdmit(ListenerSettings? listener, IPAddress? address, string remote)
    {
        var name = listener?.Name ?? "?";
        if (!_rate.TryAcquire(address is { IsIPv4MappedToIPv6: true } ? address.MapToIPv4() : address))
        {
            _overRate.Refused(name, remote);
            BrokerMetrics.ConnectionRefused("connect-rate");
            return null;
        }

        var counter = _listeners.GetOrAdd(name, _ => new ConnectionCounter(listener?.MaxConnections ?? 0));
        if (!counter.TryAcquire())
        {
            _overListener.Refused(name, remote);
            BrokerMetrics.ConnectionRefused("listener-max-connections");
            return null;
        }

        if (!_global.TryAcquire())
        {
            counter.Release();
            _overGlobal.Refused(name, remote);
            BrokerMetrics.ConnectionRefused("max-connections");
            return null;
        }

        return new Admitted(counter, _global);
    }
}
