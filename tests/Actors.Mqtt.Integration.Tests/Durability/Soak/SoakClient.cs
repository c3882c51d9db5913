using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Actors.Mqtt.Integration.Tests.Support;
using Actors.Mqtt.Protocol;
using Actors.Mqtt.Protocol.Packets;
using Actors.Mqtt.Protocol.Properties;

namespace Actors.Mqtt.Integration.Tests.Durability.Soak;

/// <summary>One message of the soak: which publisher, and its sequence number there. The payload is its text.</summary>
public readonly record struct SoakMessage(int Publisher, int Sequence)
{
    public byte[] ToPayload() => Encoding.ASCII.GetBytes(ToString());

    public static SoakMessage Parse(ReadOnlySpan<byte> payload)
    {
        var text = Encoding.ASCII.GetString(payload);
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (!text.StartsWith('p') || dash < 2
            || !int.TryParse(text.AsSpan(1, dash - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var publisher)
            || !int.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
        {
            throw new InvalidDataException($"not a soak payload: '{text}'");
        }

        return new SoakMessage(publisher, sequence);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"p{Publisher}-{Sequence}");
}

/// <summary>
/// What the soak's publishers and subscribers share: a persistent session (3.1.1 with clean session 0, or 5.0 with
/// clean start 0 and a session expiry), reconnecting with backoff while the broker is down, and a record of what the
/// broker did that MQTT does not allow (anomalies, which fail the run) or that is only worth telling (notes).
/// </summary>
public abstract class SoakClient(string clientId, MqttProtocolVersion version, Stopwatch clock)
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(2);
    private readonly List<string> anomalies = [];
    private readonly List<string> notes = [];
    private int connections;

    public string ClientId => clientId;

    public MqttProtocolVersion Version => version;

    /// <summary>Connections that got a CONNACK 0, the first included.</summary>
    public int Connections => Volatile.Read(ref connections);

    public IReadOnlyList<string> Anomalies
    {
        get
        {
            lock (anomalies)
            {
                return [.. anomalies];
            }
        }
    }

    public IReadOnlyList<string> Notes
    {
        get
        {
            lock (notes)
            {
                return [.. notes];
            }
        }
    }

    /// <summary>Milliseconds since the run started, the time base of every record of the run.</summary>
    protected long Now => clock.ElapsedMilliseconds;

    /// <summary>What a reconnect is for: a killed broker resets the socket, a restarting one refuses it.</summary>
    protected static bool IsConnectionLoss(Exception e) =>
        e is IOException or SocketException or TimeoutException or OperationCanceledException or ObjectDisposedException;

    protected void Anomaly(string text)
    {
        lock (anomalies)
        {
            anomalies.Add($"{Now} ms {clientId}: {text}");
        }
    }

    protected void Note(string text)
    {
        lock (notes)
        {
            notes.Add($"{Now} ms {clientId}: {text}");
        }
    }

    /// <summary>
    /// Connects until the broker accepts, with a doubling, jittered delay between attempts; null once
    /// <paramref name="stop"/> is cancelled. A session the broker no longer has after a reconnect is an anomaly: the
    /// client's session never expires.
    /// </summary>
    protected async Task<(RawClient Client, ConnAckPacket ConnAck)?> ConnectAsync(Func<IPEndPoint> broker, CancellationToken stop)
    {
        var retry = FirstRetry;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var (client, connAck) = await RawClient.ConnectAsync(broker(), new ConnectPacket
                {
                    ProtocolVersion = version,
                    ClientId = clientId,
                    CleanSession = false,
                    Properties = version == MqttProtocolVersion.V500 ? new MqttProperties { SessionExpiryInterval = 3600 } : null,
                });
                if (connAck.ReasonCode == ReasonCode.Success)
                {
                    if (connections > 0 && !connAck.SessionPresent)
                    {
                        Anomaly($"session present 0 on reconnection {connections + 1}: the broker lost the session");
                    }

                    Interlocked.Increment(ref connections);
                    return (client, connAck);
                }

                Note($"CONNACK {connAck.ReasonCode}");
                await client.DisposeAsync();
            }
            catch (Exception e) when (IsConnectionLoss(e) || e is InvalidOperationException or InvalidDataException)
            {
                // Down, starting, or killed during the handshake: the next attempt tells.
            }

            try
            {
                await Task.Delay(retry * (0.5 + Random.Shared.NextDouble()), stop);
            }
            catch (OperationCanceledException)
            {
                return null;
            }

            retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, LastRetry.Ticks));
        }

        return null;
    }
}
