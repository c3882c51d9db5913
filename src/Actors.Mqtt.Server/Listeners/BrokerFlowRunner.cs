using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;

namespace Actors.Mqtt.Server.Listeners;

/// <summary>
/// Runs one connection's bytes through the broker's flow, whatever the transport: <c>input → broker → output</c>,
/// until the flow ends its output. Every listener kind shares it, so shutdown and teardown behave the same on all.
/// </summary>
internal static class BrokerFlowRunner
{
    /// <param name="connection">What the input and output stages need to find this connection's transport.</param>
    /// <param name="closing">Fires when the server asks the connection to close: the input ends and the broker ends
    /// the connection as for a client that went away.</param>
    /// <param name="stopInput">Ends the input, when the transport has a way; otherwise a kill switch behind the input
    /// does it, one more stage of every connection.</param>
    public static async Task RunAsync<TWritten>(
        Source<ReadOnlyMemory<byte>, NotUsed> input,
        Sink<ReadOnlyMemory<byte>, TWritten> output,
        Flow<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>, NotUsed> broker,
        ConnectionStreams streams,
        Attributes connection,
        CancellationToken closing,
        Action? stopInput = null)
        where TWritten : Task
    {
        TWritten written;
        if (stopInput is null)
        {
            (var reading, written) = await streams.RunAsync(input
                .ViaMaterialized(KillSwitches.Single<ReadOnlyMemory<byte>>(), Keep.Right)
                .Via(broker)
                .ToMaterialized(output, Keep.Both)
                .AddAttributes(connection)).ConfigureAwait(false);
            stopInput = reading.Shutdown;
        }
        else
        {
            written = await streams.RunAsync(input.Via(broker).ToMaterialized(output, Keep.Right).AddAttributes(connection)).ConfigureAwait(false);
        }

        using (closing.Register(stopInput))
        {
            try
            {
                await written.ConfigureAwait(false);
            }
            finally
            {
                // The flow may end its output while still reading; stop the reading before the transport is disposed.
                stopInput();
            }
        }
    }
}
