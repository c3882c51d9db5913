using System.Collections.Concurrent;
using System.Net;
using Actors.Mqtt.Broker.Connections;
using Akka;
using Akka.Streams.Dsl;

namespace Actors.Mqtt.Server.Tests.Support;

/// <summary>Stands in for the broker in tests: sends every byte back, and counts what the server handed it.</summary>
public sealed class EchoConnectionFlowFactory : IConnectionFlowFactory
{
    private readonly ConcurrentDictionary<int, Counter> _received = new();
    private int _largestChunk;

    /// <summary>The largest element the server's source has emitted into any flow.</summary>
    public int LargestChunk => Volatile.Read(ref _largestChunk);

    /// <summary>Bytes the server has read from the loopback client whose socket is bound to <paramref name="clientPort"/>.</summary>
    public long BytesReceivedFrom(int clientPort) =>
        _received.TryGetValue(clientPort, out var counter) ? Interlocked.Read(ref counter.Bytes) : 0;

    public Flow<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>, NotUsed> Create(ConnectionInfo connection)
    {
        var counter = _received.GetOrAdd(IPEndPoint.Parse(connection.RemoteEndPoint).Port, _ => new Counter());
        return Flow.Create<ReadOnlyMemory<byte>>().Select(chunk =>
        {
            Interlocked.Add(ref counter.Bytes, chunk.Length);
            int largest;
            while (chunk.Length > (largest = Volatile.Read(ref _largestChunk))
                && Interlocked.CompareExchange(ref _largestChunk, chunk.Length, largest) != largest)
            {
            }

            return chunk;
        });
    }

    private sealed class Counter
    {
        public long Bytes;
    }
}
