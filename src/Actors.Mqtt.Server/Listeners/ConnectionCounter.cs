namespace Actors.Mqtt.Server.Listeners;

/// <summary>Open connections against a maximum, safe to use from every connection's thread at once.</summary>
/// <param name="maximum">The most connections at a time; 0 or less is no limit.</param>
internal sealed class ConnectionCounter(int maximum)
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Counts one more connection unless that would go over the maximum.</summary>
    public bool TryAcquire()
    {
        if (maximum <= 0)
        {
            Interlocked.Increment(ref _count);
            return true;
        }

        while (true)
        {
            var count = Volatile.Read(ref _count);
            if (count >= maximum)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _count, count + 1, count) == count)
            {
                return true;
            }
        }
    }

    public void Release() => Interlocked.Decrement(ref _count);
}
