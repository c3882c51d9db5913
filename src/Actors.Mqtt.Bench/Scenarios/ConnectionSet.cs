namespace Actors.Mqtt.Bench.Scenarios;

/// <summary>Opening and closing many connections with bounded concurrency.</summary>
public static class ConnectionSet
{
    /// <summary>Opens <paramref name="count"/> connections, at most <paramref name="concurrency"/> at a time; throws on the first failure.</summary>
    public static async Task<T[]> OpenAsync<T>(int count, int concurrency, Func<int, Task<T>> open, CancellationToken cancellationToken)
        where T : IAsyncDisposable
    {
        var opened = new T[count];
        try
        {
            await Parallel.ForEachAsync(
                Enumerable.Range(0, count),
                new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
                async (i, _) => opened[i] = await open(i));
        }
        catch
        {
            await CloseAsync(opened.Where(c => c is not null));
            throw;
        }

        return opened;
    }

    public static Task CloseAsync<T>(IEnumerable<T> connections)
        where T : IAsyncDisposable =>
        Task.WhenAll(connections.Select(c => c.DisposeAsync().AsTask()));
}
