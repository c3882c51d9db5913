using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace Actors.Mqtt.Server.Listeners;

/// <summary>
/// A token bucket per source address: <paramref name="perSecond"/> new connections a second, with bursts of up to
/// twice that (at least 2), so a client that reconnects at once after a drop is not refused.
/// </summary>
/// <param name="perSecond">Connections a second from one address; 0 or less is no limit.</param>
internal sealed class ConnectRateLimiter(double perSecond)
{
    // Buckets of addresses that have gone quiet are full again and carry nothing; past this many they are dropped.
    private const int PruneAbove = 10_000;

    private readonly double _capacity = Math.Max(2, 2 * perSecond);
    private readonly ConcurrentDictionary<IPAddress, Bucket> _buckets = new();

    /// <summary>Takes one connection from the address's allowance; false when it has none left.</summary>
    public bool TryAcquire(IPAddress? address)
    {
        if (perSecond <= 0 || address is null)
        {
            return true;
        }

        var now = Stopwatch.GetTimestamp();
        if (_buckets.Count > PruneAbove)
        {
            Prune(now);
        }

        var bucket = _buckets.GetOrAdd(address, _ => new Bucket(_capacity, now));
        lock (bucket)
        {
            bucket.Refill(now, perSecond, _capacity);
            if (bucket.Tokens < 1)
            {
                return false;
            }

            bucket.Tokens--;
            return true;
        }
    }

    private void Prune(long now)
    {
        foreach (var (address, bucket) in _buckets)
        {
            lock (bucket)
            {
                bucket.Refill(now, perSecond, _capacity);
                if (bucket.Tokens >= _capacity)
                {
                    _buckets.TryRemove(address, out _);
                }
            }
        }
    }

    private sealed class Bucket(double tokens, long updated)
    {
        public double Tokens { get; set; } = tokens;

        public void Refill(long now, double perSecond, double capacity)
        {
            Tokens = Math.Min(capacity, Tokens + (now - updated) * perSecond / Stopwatch.Frequency);
            updated = now;
        }
    }
}
