using System.Net;

namespace Actors.Mqtt.Bench;

/// <summary>What one run of the tool targets and how large its scenarios are.</summary>
/// <param name="Target">The broker's address, already checked by <see cref="TargetGuard"/>.</param>
/// <param name="BrokerPid">The broker's process id, for CPU and memory from /proc; null when not given.</param>
/// <param name="Label">Name of the broker in the report (e.g. actors-mqtt, mosquitto).</param>
/// <param name="Scale">Multiplies every scenario's message and connection counts (a smoke run uses a small one).</param>
/// <param name="TimeLimit">No scenario runs longer than this, whatever its counts.</param>
/// <param name="PayloadSize">Bytes of each PUBLISH payload (at least <see cref="Clients.Payload.HeaderSize"/>).</param>
/// <param name="Rate">Messages per second, all pairs together, of the point-to-point scenario.</param>
/// <param name="IdleLimit">How long nothing may arrive before a scenario stops waiting for the rest of its messages.</param>
public sealed record BenchSettings(
    IPEndPoint Target,
    int? BrokerPid,
    string Label,
    double Scale,
    TimeSpan TimeLimit,
    int PayloadSize,
    int Rate,
    TimeSpan IdleLimit)
{
    /// <summary><paramref name="count"/> times <see cref="Scale"/>, never below <paramref name="minimum"/>.</summary>
    public int Scaled(int count, int minimum = 1) => Math.Max(minimum, (int)Math.Round(count * Scale));
}
