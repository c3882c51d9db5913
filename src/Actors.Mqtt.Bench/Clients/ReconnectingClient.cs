using System.Net;
using System.Net.Sockets;
using Actors.Mqtt.Protocol.Packets;

namespace Actors.Mqtt.Bench.Clients;

/// <summary>
/// A connection that comes back: when the broker ends it (its node died, or its session's), it connects again with the
/// same client id to the next of the nodes it may fall back to, as a device behind a list of brokers does, until
/// stopped. One connection at a time, so <see cref="OnPacket"/> never runs twice at once.
/// </summary>
public abstract class ReconnectingClient(string clientId, IReadOnlyList<IPEndPoint> fallbacks, bool cleanSession) : IAsyncDisposable
{
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(200);
    private readonly CancellationTokenSource stopping = new();
    private Task running = Task.CompletedTask;
    private RawMqttConnection? current;
    private int reconnects;

    public string ClientId { get; } = clientId;

    /// <summary>Connections opened after the first one.</summary>
    public int Reconnects => Volatile.Read(ref reconnects);

    /// <summary>The open connection, or null while there is none.</summary>
    protected RawMqttConnection? Current => Volatile.Read(ref current);

    /// <summary>Opens the first connection (at <paramref name="target"/>) and starts reading.</summary>
    public async Task StartAsync(IPEndPoint target, CancellationToken cancellationToken)
    {
        var connection = await RawMqttConnection.ConnectAsync(target, ClientId, cancellationToken, cleanSession);
        try
        {
            await OnFirstConnectionAsync(connection, cancellationToken);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        running = RunAsync(connection, stopping.Token);
    }

    /// <summary>Closes the connection and stops connecting again.</summary>
    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        await running;
        stopping.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Runs once the first connection has its CONNACK, before reading starts (a subscriber subscribes here).</summary>
    protected virtual Task OnFirstConnectionAsync(RawMqttConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs for every connection, before reading starts and before it becomes <see cref="Current"/>.</summary>
    protected virtual void OnConnected(RawMqttConnection connection)
    {
    }

    /// <summary>Every packet the broker sends on the current connection; a PUBLISH payload is only valid during the call.</summary>
    protected abstract void OnPacket(MqttPacket packet);

    /// <summary>Whether QoS 1 PUBLISH packets are acknowledged (after <see cref="OnPacket"/> counted them).</summary>
    protected virtual bool Acknowledges => false;

    private async Task RunAsync(RawMqttConnection connection, CancellationToken stop)
    {
        var next = 0;
        while (true)
        {
            OnConnected(connection);
            Volatile.Write(ref current, connection);
            var reason = await connection.ReadLoopAsync(OnPacket, Acknowledges, stop);
            Volatile.Write(ref current, null);
            if (reason is null)
            {
                await connection.DisconnectAsync();
                return;
            }

            await connection.DisposeAsync();
            RawMqttConnection? again = null;
            while (again is null)
            {
                try
                {
                    again = await RawMqttConnection.ConnectAsync(fallbacks[next++ % fallbacks.Count], ClientId, stop, cleanSession);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
                {
                    // A node still down, or a session still moving to a live node: the next one, shortly.
                    await Task.Delay(RetryPause, CancellationToken.None);
                }
            }

            Interlocked.Increment(ref reconnects);
            connection = again;
        }
    }
}
